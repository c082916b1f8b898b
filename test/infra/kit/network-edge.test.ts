import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { MANAGED_RULE_GROUPS, NetworkFoundation, PublicLoadBalancer, PublicWebAcl } from '../../../infra/lib';
import { resourcesOf, testStack, zonesOf } from './helpers';

const CERT = 'arn:aws:acm:us-east-1:111111111111:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012';

describe('NetworkFoundation and PublicLoadBalancer', () => {
  let plain: Template;
  let tls: Template;

  beforeAll(() => {
    const a = testStack('Plain');
    const net = new NetworkFoundation(a, 'Network', { availabilityZones: zonesOf('us-east-1') });
    new PublicLoadBalancer(a, 'Edge', { vpc: net.vpc, testTrafficSources: net.natPublicIps.map((ip) => ec2.Peer.ipv4(`${ip}/32`)) });
    plain = Template.fromStack(a);

    const b = testStack('Tls');
    const net2 = new NetworkFoundation(b, 'Network', { availabilityZones: zonesOf('us-east-1'), natGateways: 3 });
    const edge = new PublicLoadBalancer(b, 'Edge', { vpc: net2.vpc, certificateArn: CERT, testListenerPort: 9443, deregistrationDelay: Duration.seconds(45), deletionProtection: true });
    new PublicWebAcl(b, 'WebAcl', { loadBalancer: edge.loadBalancer, metricPrefix: 'Gatehouse-us-east-1' });
    tls = Template.fromStack(b);
  });

  describe('NetworkFoundation', () => {
    test('spreads public, private and isolated subnets over the three zones', () => {
      const subnets = resourcesOf(plain, 'AWS::EC2::Subnet');
      expect(subnets).toHaveLength(9);
      const zones = new Set(subnets.map(([, s]) => s.Properties!.AvailabilityZone));
      expect([...zones].sort()).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    });

    test('has VPC endpoints for ECR api and dkr, CloudWatch Logs, Secrets Manager and the S3 gateway', () => {
      const names = resourcesOf(plain, 'AWS::EC2::VPCEndpoint').map(([, e]) => JSON.stringify(e.Properties!.ServiceName));
      for (const service of ['ecr.api', 'ecr.dkr', '.logs', 'secretsmanager', '.s3']) expect(names.some((n) => n.includes(service))).toBe(true);
      plain.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
      plain.resourceCountIs('AWS::EC2::VPCEndpoint', 5);
    });

    test('one NAT gateway by default, with an Elastic IP of its own; three when asked', () => {
      plain.resourceCountIs('AWS::EC2::NatGateway', 1);
      plain.resourceCountIs('AWS::EC2::EIP', 1);
      tls.resourceCountIs('AWS::EC2::NatGateway', 3);
    });

    test('writes flow logs to CloudWatch Logs', () => {
      plain.hasResourceProperties('AWS::EC2::FlowLog', { LogDestinationType: 'cloud-watch-logs', TrafficType: 'ALL' });
    });

    test('rejects fewer than two zones and more NAT gateways than zones', () => {
      expect(() => new NetworkFoundation(testStack(), 'N', { availabilityZones: ['us-east-1a'] })).toThrow(
        'NetworkFoundation: availabilityZones must list at least 2 zones, got 1.',
      );
      expect(() => new NetworkFoundation(testStack(), 'N', { availabilityZones: zonesOf('us-east-1'), natGateways: 4 })).toThrow(
        'NetworkFoundation: natGateways must be between 1 and the number of zones (3), got 4.',
      );
    });
  });

  describe('PublicLoadBalancer', () => {
    test('is internet facing, drops invalid header fields and logs to S3', () => {
      plain.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Scheme: 'internet-facing',
        LoadBalancerAttributes: Match.arrayWith([
          { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
          { Key: 'access_logs.s3.enabled', Value: 'true' },
        ]),
      });
      plain.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
    });

    test('without a certificate: HTTP on 80 to the blue group, test listener on 9000 to the green group', () => {
      const listeners = resourcesOf(plain, 'AWS::ElasticLoadBalancingV2::Listener').map(([, l]) => l.Properties!);
      const target = (l: Record<string, unknown>) => JSON.stringify((l.DefaultActions as unknown[])[0]);
      expect(listeners.map((l) => [l.Port, l.Protocol, /BlueTargetGroup/.test(target(l)) ? 'blue' : /GreenTargetGroup/.test(target(l)) ? 'green' : '?']).sort()).toEqual([
        [80, 'HTTP', 'blue'],
        [9000, 'HTTP', 'green'],
      ]);
    });

    test('target groups forward to the proxy port and health check /readyz on the status port', () => {
      const groups = resourcesOf(plain, 'AWS::ElasticLoadBalancingV2::TargetGroup');
      expect(groups).toHaveLength(2);
      for (const [, g] of groups)
        expect(g.Properties).toMatchObject({
          Port: 8080,
          TargetType: 'ip',
          HealthCheckPath: '/readyz',
          HealthCheckPort: '9190',
          Matcher: { HttpCode: '200' },
        });
      plain.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
      });
      tls.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '45' }]),
      });
    });

    // A fixed-response rule answers 200 with no task running, so nothing may probe one for failover.
    test('answers nothing itself: every request reaches a gateway task', () => {
      plain.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    });

    test('opens the test port only to the NAT addresses', () => {
      const sg = resourcesOf(plain, 'AWS::EC2::SecurityGroup').find(([, g]) => g.Properties!.GroupDescription === 'Gatehouse public load balancer')!;
      const ingress = sg[1].Properties!.SecurityGroupIngress as Array<Record<string, unknown>>;
      expect(ingress.filter((r) => r.FromPort === 9000)).toEqual([
        expect.objectContaining({ CidrIp: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^NetworkNatAddress1/), 'PublicIp'] }, '/32']] } }),
      ]);
      expect(ingress.filter((r) => r.CidrIp === '0.0.0.0/0').map((r) => r.FromPort)).toEqual([80]);
    });

    // A listener's redirect action answers 301 with the new protocol and port (Elastic Load Balancing user guide,
    // "Listeners for your Application Load Balancers", redirect actions).
    test('with a certificate: HTTPS on 443, HTTP redirects to HTTPS', () => {
      tls.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: CERT }],
      });
      tls.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [{ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' }) }],
      });
      tls.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 9443, Protocol: 'HTTP' });
    });

    // Deletion protection is the load balancer attribute deletion_protection.enabled (Elastic Load Balancing user
    // guide, "Application Load Balancers", "Deletion protection"); off by default.
    test('deletion protection only when asked', () => {
      const attribute = (t: Template) =>
        (resourcesOf(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0][1].Properties!.LoadBalancerAttributes as Array<{ Key: string; Value: string }>).find((a) => a.Key === 'deletion_protection.enabled')?.Value;
      expect(attribute(tls)).toBe('true');
      expect(attribute(plain) ?? 'false').toBe('false');
    });

    // A web ACL for an Application Load Balancer has scope REGIONAL and is attached by a web ACL association (AWS WAF
    // developer guide, "Associating or disassociating a web ACL with an AWS resource"); the common rule set blocks
    // bodies over 8 KB with SizeRestrictions_BODY (AWS WAF developer guide, "Baseline rule groups").
    test('the web ACL runs the AWS managed rule groups and is associated with the load balancer', () => {
      tls.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        Rules: MANAGED_RULE_GROUPS.map((name, priority) =>
          Match.objectLike({ Name: name, Priority: priority, OverrideAction: { None: {} }, Statement: { ManagedRuleGroupStatement: Match.objectLike({ VendorName: 'AWS', Name: name }) } }),
        ),
      });
      tls.hasResourceProperties('AWS::WAFv2::WebACL', {
        Rules: Match.arrayWith([Match.objectLike({ Statement: { ManagedRuleGroupStatement: Match.objectLike({ RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }] }) } })]),
      });
      const [[lb]] = resourcesOf(tls, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
      const [[acl]] = resourcesOf(tls, 'AWS::WAFv2::WebACL');
      tls.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: { Ref: lb }, WebACLArn: { 'Fn::GetAtt': [acl, 'Arn'] } });
      plain.resourceCountIs('AWS::WAFv2::WebACL', 0);
    });

    test('rejects a test port that collides with production and a removal policy for a given bucket', () => {
      const s = testStack();
      const vpc = new NetworkFoundation(s, 'N', { availabilityZones: zonesOf('us-east-1') }).vpc;
      expect(() => new PublicLoadBalancer(s, 'A', { vpc, testListenerPort: 443 })).toThrow(
        'PublicLoadBalancer: testListenerPort 443 collides with a production port; use another port, e.g. 9000.',
      );
      const other = new PublicLoadBalancer(s, 'B', { vpc });
      expect(() => new PublicLoadBalancer(s, 'C', { vpc, accessLogsBucket: other.accessLogsBucket, removalPolicy: 'destroy' as never })).toThrow(
        'PublicLoadBalancer: removalPolicy applies only to the access log bucket this construct creates; do not give it together with accessLogsBucket.',
      );
    });
  });
});
