import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { GatewayRelease, GatewayService, PublicLoadBalancer, TARGET_PROTOCOL_VERSIONS, type TargetProtocolVersion } from '../../../infra/lib';
import { DeploymentConfigError, loadDeploymentConfig } from '../../../infra/lib/config';
import { HEALTH_CHECK_PATH } from '../../../gateway/src/data-plane/grpc/health';
import { resourcesOf, testStack } from './helpers';

const CERT = 'arn:aws:acm:us-east-1:111111111111:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012';

/** A region's edge and release with target groups of `version`. */
function edgeOf(version: TargetProtocolVersion): Template {
  const stack = testStack(`Edge${version}`);
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const edge = new PublicLoadBalancer(stack, 'Edge', { vpc, certificateArn: CERT, protocolVersion: version });
  const gateway = new GatewayService(stack, 'Gateway', {
    cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
    image: ecs.ContainerImage.fromRegistry('gatehouse:1'),
    loadBalancer: edge.loadBalancer,
    loadBalancerSecurityGroup: edge.securityGroup,
    blueTargetGroup: edge.blueTargetGroup,
  });
  new GatewayRelease(stack, 'Release', { edge, gateway, imageParameterName: '/p', smokeTestCode: lambda.Code.fromInline('exports.handler = async () => {};') });
  return Template.fromStack(stack);
}

const targetGroups = (t: Template) => resourcesOf(t, 'AWS::ElasticLoadBalancingV2::TargetGroup').map(([, g]) => g.Properties!);
const listeners = (t: Template) => resourcesOf(t, 'AWS::ElasticLoadBalancingV2::Listener').map(([, l]) => l.Properties!);

describe('target-group protocol version', () => {
  const templates = Object.fromEntries(TARGET_PROTOCOL_VERSIONS.map((v) => [v, edgeOf(v)])) as Record<TargetProtocolVersion, Template>;

  // One CodeDeploy ECS deployment group swaps one blue/green target-group pair (CodeDeploy user guide,
  // "Blue/green deployments for Amazon ECS"): the replacement tasks must speak what the original did.
  test.each(TARGET_PROTOCOL_VERSIONS)('%s: the blue and green target groups are the same but for their name', (version) => {
    const [blue, green] = targetGroups(templates[version]);
    expect(targetGroups(templates[version])).toHaveLength(2);
    expect(green).toEqual(blue);
    expect(blue.ProtocolVersion).toBe(version === 'HTTP1' ? undefined : version);
  });

  // ELB API reference, "Matcher": with protocol version gRPC the codes are gRPC codes (0-99), default 12.
  // The gateway answers grpc.health.v1.Health/Check itself on the proxy port (gateway/src/data-plane/grpc/health.ts).
  test('GRPC: the health check is the gRPC health service on the proxy port, healthy on status 0 only', () => {
    expect(targetGroups(templates.GRPC)[0]).toMatchObject({
      Protocol: 'HTTP',
      Port: 8080,
      ProtocolVersion: 'GRPC',
      HealthCheckPath: HEALTH_CHECK_PATH,
      HealthCheckPort: 'traffic-port',
      Matcher: { GrpcCode: '0' },
    });
    expect(HEALTH_CHECK_PATH).toBe('/grpc.health.v1.Health/Check');
  });

  test.each(['HTTP1', 'HTTP2'] as const)('%s: the HTTP check on the status port\'s /readyz', (version) => {
    expect(targetGroups(templates[version])[0]).toMatchObject({ HealthCheckPath: '/readyz', HealthCheckPort: '9190', Matcher: { HttpCode: '200' } });
  });

  // ELB user guide, "Target groups for your Application Load Balancers" → "Protocol version": for HTTP2
  // and gRPC "the only supported listener protocol is HTTPS", and a request of another protocol is
  // answered 464 ("Troubleshoot your Application Load Balancers", HTTP 464).
  test.each(['HTTP2', 'GRPC'] as const)('%s: the production and test listeners are both HTTPS; the smoke test sends no HTTP/1.1 canary', (version) => {
    const t = templates[version];
    expect(listeners(t).map((l) => [l.Port, l.Protocol]).sort()).toEqual([
      [443, 'HTTPS'],
      [80, 'HTTP'],
      [9000, 'HTTPS'],
    ]);
    const smoke = resourcesOf(t, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ReleaseSmokeTestFunction'))![1];
    const env = (smoke.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.CANARY).toBe('off');
    expect(JSON.stringify(env.TEST_LISTENER_URL)).toContain('"https://"');
  });

  test('HTTP1: the test listener stays plain HTTP and the canary runs', () => {
    expect(listeners(templates.HTTP1).find((l) => l.Port === 9000)!.Protocol).toBe('HTTP');
    const smoke = resourcesOf(templates.HTTP1, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ReleaseSmokeTestFunction'))![1];
    expect((smoke.Properties!.Environment as { Variables: Record<string, unknown> }).Variables.CANARY).toBeUndefined();
  });

  test('HTTP2 or GRPC without a certificate is refused, naming the fix', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    expect(() => new PublicLoadBalancer(stack, 'E', { vpc, protocolVersion: 'GRPC' })).toThrow(
      'PublicLoadBalancer: protocolVersion GRPC needs certificateArn (an ALB forwards to HTTP/2 and gRPC target groups only from HTTPS listeners); give a certificate or use HTTP1.',
    );
    expect(() => new PublicLoadBalancer(stack, 'F', { vpc, certificateArn: CERT, protocolVersion: 'HTTP3' as TargetProtocolVersion })).toThrow(
      'PublicLoadBalancer: protocolVersion must be one of HTTP1, HTTP2, GRPC, got "HTTP3".',
    );
  });

  describe('in the deployment config', () => {
    const MINIMAL = { account: '123456789012', primaryRegion: 'us-east-1', secondaryRegions: ['us-west-2'] };
    const certificateArns = {
      'us-east-1': 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
      'us-west-2': 'arn:aws:acm:us-west-2:123456789012:certificate/def-456',
    };

    test('defaults to HTTP1 and takes GRPC when every region has a certificate', () => {
      expect(loadDeploymentConfig(MINIMAL).targetProtocolVersion).toBe('HTTP1');
      expect(loadDeploymentConfig({ ...MINIMAL, certificateArns, targetProtocolVersion: 'GRPC' }).targetProtocolVersion).toBe('GRPC');
    });

    test('HTTP2 in a region without a certificate is refused, even when plain HTTP is allowed', () => {
      let problems: unknown;
      try {
        loadDeploymentConfig({ ...MINIMAL, certificateArns: { 'us-east-1': certificateArns['us-east-1'] }, allowHttpOnly: true, targetProtocolVersion: 'HTTP2' });
      } catch (err) {
        problems = (err as DeploymentConfigError).problems;
      }
      expect(problems).toEqual([
        {
          path: '/targetProtocolVersion',
          message: 'HTTP2 target groups need HTTPS listeners (an ALB forwards HTTP/2 and gRPC to targets only from HTTPS), but us-west-2 has no certificate.',
          fix: 'give an ACM certificate ARN for each region in certificateArns, or use "targetProtocolVersion": "HTTP1".',
        },
      ]);
    });
  });
});
