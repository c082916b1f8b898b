import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ControlPlaneService, type ControlPlaneServiceProps, GatewayService, GlobalRouting, NetworkFoundation, PublicLoadBalancer, RegionDashboard } from '../../../infra/lib';
import { resourcesOf, testStack, zonesOf } from './helpers';

const IMAGE = ecs.ContainerImage.fromRegistry('111111111111.dkr.ecr.us-east-1.amazonaws.com/gatehouse:1.0.0');

describe('ControlPlaneService, GlobalRouting and RegionDashboard', () => {
  let t: Template;

  beforeAll(() => {
    const s = testStack();
    const net = new NetworkFoundation(s, 'Network', { availabilityZones: zonesOf('us-east-1') });
    const cluster = new ecs.Cluster(s, 'Cluster', { vpc: net.vpc });
    const edge = new PublicLoadBalancer(s, 'Edge', { vpc: net.vpc });
    const gateway = new GatewayService(s, 'Gateway', {
      cluster,
      image: IMAGE,
      loadBalancer: edge.loadBalancer,
      loadBalancerSecurityGroup: edge.securityGroup,
      blueTargetGroup: edge.blueTargetGroup,
    });
    new ControlPlaneService(s, 'ControlPlane', {
      cluster,
      image: IMAGE,
      adminClients: ec2.Peer.ipv4('10.0.0.0/16'),
      accessLogsBucket: edge.accessLogsBucket,
      settings: { databaseUrl: 'postgresql://db:5432/gatehouse' },
    });
    new GlobalRouting(s, 'Routing', {
      loadBalancer: edge.loadBalancer,
      hostedZoneId: 'Z0123456789ABC',
      zoneName: 'example.com',
      recordName: 'api.example.com',
      targetGroups: [edge.blueTargetGroup, edge.greenTargetGroup],
    });
    new RegionDashboard(s, 'Dashboard', {
      dashboardName: 'Gatehouse-us-east-1',
      loadBalancer: edge.loadBalancer,
      service: gateway.service,
      targetGroups: [edge.blueTargetGroup, edge.greenTargetGroup],
      cacheReplicationGroupId: 'gatehouse-cache',
      cacheNodeCount: 3,
      databaseInstanceIdentifier: 'gatehouse-config',
    });
    t = Template.fromStack(s);
  });

  describe('ControlPlaneService', () => {
    test('a separate Fargate service in the control-plane role, rolling updates with circuit breaker', () => {
      t.hasResourceProperties('AWS::ECS::Service', {
        DesiredCount: 2,
        DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
      });
      t.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Name: 'control-plane',
            ReadonlyRootFilesystem: true,
            Environment: Match.arrayWith([
              { Name: 'GATEHOUSE_ROLE', Value: 'control-plane' },
              { Name: 'GATEHOUSE_ADMIN_HOST', Value: '0.0.0.0' },
              { Name: 'GATEHOUSE_ADMIN_PORT', Value: '9180' },
            ]),
          }),
        ],
      });
    });

    test('behind an internal load balancer open only to the admin clients', () => {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
      t.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'Gatehouse admin API load balancer',
        SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.0.0.0/16', FromPort: 80 })],
      });
    });

    // ECS replaces tasks that fail their load balancer health check (ECS developer guide, "Health checks for
    // Application Load Balancer target groups"): a control plane unready because its database is down must stay.
    test('the admin target group checks liveness (/healthz), not readiness, so a database outage replaces no task', () => {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 9180, HealthCheckPath: '/healthz', HealthCheckPort: '9190' });
    });

    /** A control plane in a fresh stack, with `extra` props. */
    const controlPlaneWith = (extra: Partial<ControlPlaneServiceProps>) => {
      const s = testStack();
      const net = new NetworkFoundation(s, 'N', { availabilityZones: zonesOf('us-east-1') });
      const edge = new PublicLoadBalancer(s, 'E', { vpc: net.vpc });
      const base = { cluster: new ecs.Cluster(s, 'Cl', { vpc: net.vpc }), image: IMAGE, adminClients: ec2.Peer.ipv4('10.0.0.0/16'), accessLogsBucket: edge.accessLogsBucket };
      return new ControlPlaneService(s, 'C', { ...base, ...extra });
    };

    test('without a certificate the admin listener is plain HTTP on 80', () => {
      const c = controlPlaneWith({});
      expect([c.adminProtocol, c.adminListenerPort]).toEqual(['http', 80]);
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    });

    test('with a certificate: HTTPS on 443 only (TLS 1.2+ policy), and the admin clients may reach 443', () => {
      const cert = 'arn:aws:acm:us-east-1:111111111111:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012';
      const c = controlPlaneWith({ certificateArn: cert });
      expect([c.adminProtocol, c.adminListenerPort]).toEqual(['https', 443]);
      const tls = Template.fromStack(c.node.scope as Stack);
      tls.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: cert }],
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      });
      const adminListeners = resourcesOf(tls, 'AWS::ElasticLoadBalancingV2::Listener').filter(([id]) => id.startsWith('CLoadBalancer'));
      expect(adminListeners.map(([, l]) => [l.Properties!.Port, l.Properties!.Protocol])).toEqual([[443, 'HTTPS']]);
      tls.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'Gatehouse admin API load balancer',
        SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.0.0.0/16', FromPort: 443, ToPort: 443 })],
      });
    });

    test('rejects a non-positive task count', () => {
      expect(() => controlPlaneWith({ desiredCount: 0 })).toThrow('ControlPlaneService: desiredCount must be a positive integer, got 0.');
    });

    // A task definition is limited to 64 KiB (ECS service quotas); the initial config travels inside it.
    test('rejects an initial config too large for the task definition', () => {
      expect(() => controlPlaneWith({ initialConfig: JSON.stringify({ routes: [], note: 'x'.repeat(40_000) }) })).toThrow(
        'ControlPlaneService: initialConfig is 40023 bytes, more than 32768 (it travels in the task definition); keep it small and write the rest through the admin API.',
      );
    });
  });

  describe('GlobalRouting', () => {
    // The idle green group is empty between deployments; with target health evaluated every region counts unhealthy and
    // Route 53 then answers as if all were healthy (Route 53 developer guide, "How Amazon Route 53 chooses records when health checking is configured").
    test('a latency alias record that leaves target health to its own health check', () => {
      t.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'api.example.com.',
        Type: 'A',
        HostedZoneId: 'Z0123456789ABC',
        Region: 'us-east-1',
        SetIdentifier: 'us-east-1',
        AliasTarget: Match.objectLike({ EvaluateTargetHealth: false }),
        HealthCheckId: { Ref: Match.stringLikeRegexp('^RoutingHealthCheck') },
      });
    });

    test('the region is healthy while either target group has a healthy gateway task (calculated from two alarm checks)', () => {
      const checks = resourcesOf(t, 'AWS::Route53::HealthCheck').map(([, c]) => (c.Properties as { HealthCheckConfig: Record<string, unknown> }).HealthCheckConfig);
      expect(checks.filter((c) => c.Type === 'CLOUDWATCH_METRIC')).toHaveLength(2);
      expect(checks.find((c) => c.Type === 'CALCULATED')).toMatchObject({ HealthThreshold: 1, ChildHealthChecks: [expect.anything(), expect.anything()] });
      expect(checks.filter((c) => c.Type === 'CLOUDWATCH_METRIC').every((c) => c.InsufficientDataHealthStatus === 'Unhealthy')).toBe(true);
      expect(checks.some((c) => c.Type === 'HTTP' || c.Type === 'HTTPS')).toBe(false);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'HealthyHostCount',
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        Dimensions: Match.arrayWith([Match.objectLike({ Name: 'TargetGroup' })]),
      });
    });

    test('rejects a record outside the zone and no target group', () => {
      const s = testStack();
      const net = new NetworkFoundation(s, 'N', { availabilityZones: zonesOf('us-east-1') });
      const edge = new PublicLoadBalancer(s, 'E', { vpc: net.vpc });
      const base = { loadBalancer: edge.loadBalancer, hostedZoneId: 'Z0123456789ABC', zoneName: 'example.com', targetGroups: [edge.blueTargetGroup] };
      expect(() => new GlobalRouting(s, 'A', { ...base, recordName: 'api.example.org' })).toThrow('GlobalRouting: recordName "api.example.org" is not inside the zone "example.com".');
      expect(() => new GlobalRouting(s, 'B', { ...base, targetGroups: [] })).toThrow('GlobalRouting: give at least one target group whose healthy targets make the region healthy.');
    });
  });

  describe('RegionDashboard', () => {
    test('one dashboard with traffic, latency, health, tasks, cache and database widgets', () => {
      t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const body = JSON.stringify(t.findResources('AWS::CloudWatch::Dashboard'));
      for (const title of ['Requests and errors', 'Target response time (p50, p99)', 'Healthy / unhealthy targets', 'Data plane CPU and memory', 'Rate-limit cache', 'Config database'])
        expect(body).toContain(title);
    });

    // ElastiCache publishes Redis host and engine metrics per node, dimensions CacheClusterId and CacheNodeId (ElastiCache
    // user guide, "Metrics for self-designed clusters", "Host-Level Metrics"): a ReplicationGroupId dimension graphs nothing.
    test('the cache widgets graph each node by CacheClusterId and CacheNodeId', () => {
      const body = JSON.stringify(t.findResources('AWS::CloudWatch::Dashboard'));
      for (const member of ['001', '002', '003']) expect(body).toContain(`\\"CacheClusterId\\",\\"gatehouse-cache-${member}\\",\\"CacheNodeId\\",\\"0001\\"`);
      expect(body).not.toContain('ReplicationGroupId');
    });
  });
});
