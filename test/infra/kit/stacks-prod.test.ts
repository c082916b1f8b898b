import { PROD_DEPLOYMENT } from './helpers';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyChecks, buildGatehouse, loadDeploymentConfig, type GatehouseStacks } from '../../../infra/lib';

const ROOT = path.join(__dirname, '..', '..', '..');
const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

describe('a prod deployment with a domain and certificates: the other branches pass the checks too', () => {
  let outdir: string;
  let stacks: GatehouseStacks;
  let primary: Template;
  let secondary: Template;

  beforeAll(() => {
    const config = loadDeploymentConfig({ ...PROD_DEPLOYMENT, trafficShifting: 'all-at-once' });
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cdk-prod-'));
    const app = new App({ outdir, context: { ...cdkJson.context } });
    stacks = buildGatehouse(app, config, { imageUri: 'public.ecr.aws/example/gatehouse:1.0.0' });
    applyChecks(app);
    app.synth(); // throws on an unacknowledged cdk-nag error or a CloudFormation Validate error
    primary = Template.fromStack(stacks.regional['eu-west-1']);
    secondary = Template.fromStack(stacks.regional['eu-central-1']);
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  // Between releases the idle target group is empty (CodeDeploy ECS blue/green: CodeDeploy User Guide, "ECS
  // blue/green deployments"), so its Route 53 signal alarm is in ALARM most of the time: it must not page.
  test('every alarm pages the region\'s topic except the Route 53 signal alarms (NoHealthyTargets)', () => {
    const [[topic]] = Object.entries(primary.findResources('AWS::SNS::Topic'));
    const alarms = Object.entries(primary.findResources('AWS::CloudWatch::Alarm'));
    const signals = alarms.filter(([id]) => /NoHealthyTargets/.test(id));
    expect(signals).toHaveLength(2);
    for (const [, alarm] of signals) expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([undefined, undefined]);
    for (const [, alarm] of alarms.filter(([id]) => !/NoHealthyTargets/.test(id))) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
  });

  test('stack names follow the prefix; prod stacks have termination protection', () => {
    expect(Object.values(stacks.regional).map((s) => s.stackName).sort()).toEqual(['Edge-eu-central-1', 'Edge-eu-west-1']);
    expect(Object.values(stacks.base).map((s) => s.stackName).sort()).toEqual(['Edge-eu-central-1-base', 'Edge-eu-west-1-base']);
    for (const s of [...Object.values(stacks.regional), ...Object.values(stacks.base)]) expect(s.terminationProtection).toBe(true);
  });

  test('HTTPS with each region\'s own certificate; HTTP redirects', () => {
    primary.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:222222222222:certificate/11111111-2222-3333-4444-555555555555' }],
    });
    secondary.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-central-1:222222222222:certificate/66666666-7777-8888-9999-000000000000' }],
    });
    primary.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, DefaultActions: [Match.objectLike({ Type: 'redirect' })] });
  });

  test('the public load balancers are deletion protected and behind the web ACL; the test listener stays plain HTTP', () => {
    for (const t of [primary, secondary]) {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Scheme: 'internet-facing',
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
      });
      t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 9000, Protocol: 'HTTP' });
    }
  });

  test('each region has its own latency record and a health check of its own gateway tasks', () => {
    for (const [t, region] of [[primary, 'eu-west-1'], [secondary, 'eu-central-1']] as const) {
      t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Region: region, SetIdentifier: region });
      t.hasResourceProperties('AWS::Route53::HealthCheck', { HealthCheckConfig: Match.objectLike({ Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: Match.objectLike({ Region: region }) }) });
    }
  });

  test('prod protects data: deletion protection, snapshots, retained buckets, Multi-AZ replica', () => {
    primary.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: 'edge-config', DeletionProtection: true, DBInstanceClass: 'db.r7g.large' });
    primary.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot' });
    primary.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ Name: 'Edge/config-database/credentials' }) });
    primary.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: 'edge-config', AllocatedStorage: '100', MaxAllocatedStorage: 400 });
    secondary.hasResourceProperties('AWS::RDS::DBInstance', { SourceDBInstanceIdentifier: Match.anyValue(), MaxAllocatedStorage: 400 });
    primary.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Snapshot' });
    primary.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { NumCacheClusters: 3 });
    secondary.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, DeletionProtection: true, SourceDBInstanceIdentifier: 'arn:aws:rds:eu-west-1:222222222222:db:edge-config' });
    Template.fromStack(stacks.base['eu-west-1']).hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ BucketName: 'edge-backup-222222222222-eu-west-1' }) });
    primary.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' });
    primary.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 3 });
    primary.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  test('nothing left in the validation report', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations: unknown[] }> };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});
