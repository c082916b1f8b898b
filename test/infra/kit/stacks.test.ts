import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyChecks, buildGatehouse, gatewayImageBuild, initialImageFor, loadDeploymentConfig, RegionalStack, type GatehouseStacks } from '../../../infra/lib';
import { normalisedTemplate } from './helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const config = loadDeploymentConfig(cdkJson.context.gatehouse);
const CONTRACT_OUTPUTS = [
  'ClusterName',
  'ServiceName',
  'ContainerName',
  'ContainerPort',
  'CodeDeployApplication',
  'DeploymentGroup',
  'ProdListenerArn',
  'TestListenerArn',
  'ImageParameterName',
  'SmokeTestFunctionName',
  'LoadBalancerDnsName',
];

describe('the default deployment (cdk.json): stacks, checks and snapshots', () => {
  let outdir: string;
  let stacks: GatehouseStacks;
  let templates: Record<string, Template>;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cdk-'));
    // The committed context (feature flags, validation as errors); the image is given so no repo hashing happens here.
    const app = new App({ outdir, context: { ...cdkJson.context } });
    stacks = buildGatehouse(app, config, { imageUri: 'public.ecr.aws/example/gatehouse:1.0.0' });
    applyChecks(app);
    app.synth(); // throws on an unacknowledged cdk-nag error or a CloudFormation Validate error
    templates = Object.fromEntries([...Object.values(stacks.base), ...Object.values(stacks.regional)].map((s) => [s.stackName, Template.fromStack(s)]));
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('two regions, a base and a regional stack each, named by the contract', () => {
    expect(Object.keys(templates).sort()).toEqual(['Gatehouse-us-east-1', 'Gatehouse-us-east-1-base', 'Gatehouse-us-west-2', 'Gatehouse-us-west-2-base']);
    expect(stacks.regional['us-west-2'].region).toBe('us-west-2');
    expect(stacks.regional['us-east-1'].account).toBe('111111111111');
  });

  test('deploy order: secondary base, primary base, primary regional, secondary regional', () => {
    const deps = (name: string) => [...Object.values(stacks.base), ...Object.values(stacks.regional)].find((s) => s.stackName === name)!.dependencies.map((d) => d.stackName).sort();
    expect(deps('Gatehouse-us-east-1-base')).toEqual(['Gatehouse-us-west-2-base']);
    expect(deps('Gatehouse-us-east-1')).toEqual(['Gatehouse-us-east-1-base']);
    expect(deps('Gatehouse-us-west-2')).toEqual(['Gatehouse-us-east-1', 'Gatehouse-us-west-2-base']);
    expect(deps('Gatehouse-us-west-2-base')).toEqual([]);
  });

  test('every regional stack emits exactly the contract outputs (plus its own)', () => {
    for (const region of ['us-east-1', 'us-west-2']) {
      const outputs = templates[`Gatehouse-${region}`].toJSON().Outputs as Record<string, { Value: unknown }>;
      for (const key of CONTRACT_OUTPUTS) expect(outputs).toHaveProperty(key);
      expect(outputs.ContainerName.Value).toBe('gateway');
      expect(outputs.ContainerPort.Value).toBe('8080');
      expect(outputs.ImageParameterName.Value).toBe('/gatehouse/gateway/image');
    }
  });

  test('the primary runs the database primary and the control plane; the secondary a replica of it', () => {
    const primary = templates['Gatehouse-us-east-1'];
    const secondary = templates['Gatehouse-us-west-2'];
    primary.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: 'gatehouse-config', MultiAZ: true });
    primary.resourceCountIs('AWS::ECS::Service', 2);
    primary.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'control-plane', Secrets: Match.arrayWith([Match.objectLike({ Name: 'GATEHOUSE_ADMIN_TOKENS' })]) })]),
    });
    secondary.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceIdentifier: 'gatehouse-config-replica-us-west-2',
      SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:111111111111:db:gatehouse-config',
    });
    secondary.resourceCountIs('AWS::ECS::Service', 1);
  });

  test('the gateway image is the released-image parameter, resolved at deploy time', () => {
    for (const region of ['us-east-1', 'us-west-2']) {
      const t = templates[`Gatehouse-${region}`];
      const [paramId] = Object.entries(t.toJSON().Parameters as Record<string, { Type: string; Default?: string }>).find(([, p]) => p.Default === '/gatehouse/gateway/image')!;
      // (The task also runs the telemetry collector sidecar.)
      t.hasResourceProperties('AWS::ECS::TaskDefinition', { ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'gateway', Image: { Ref: paramId } })]) });
    }
  });

  test('no stack imports a value from another region', () => {
    for (const [name, t] of Object.entries(templates)) {
      const imports = JSON.stringify(t.toJSON()).match(/"Fn::ImportValue":"[^"]+"/g) ?? [];
      const region = name.replace(/^Gatehouse-/, '').replace(/-base$/, '');
      for (const i of imports) expect(i).toContain(`Gatehouse-${region}-base:`);
    }
  });

  test('cdk-nag and CloudFormation Validate leave nothing in the validation report', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations: unknown[] }> };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  test('every alarm of every regional stack pages its region\'s alarm topic on ALARM and on OK', () => {
    for (const name of ['Gatehouse-us-east-1', 'Gatehouse-us-west-2']) {
      const [[topic]] = Object.entries(templates[name].findResources('AWS::SNS::Topic'));
      const alarms = Object.values(templates[name].findResources('AWS::CloudWatch::Alarm'));
      expect(alarms.length).toBeGreaterThan(10);
      for (const alarm of alarms) expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([[{ Ref: topic }], [{ Ref: topic }]]);
    }
  });

  test('without an image in the config, the first image is the kit\'s repository of the region at initialImageTag', () => {
    expect(initialImageFor(config, 'us-west-2')).toEqual({ imageUri: '111111111111.dkr.ecr.us-west-2.amazonaws.com/gatehouse/gateway:initial' });
    expect(initialImageFor({ ...config, image: 'x/y:1' }, 'us-west-2')).toEqual({ imageUri: 'x/y:1' });
  });

  test('the gateway image build context is gateway/Dockerfile at the repository root', () => {
    expect(gatewayImageBuild('/repo')).toEqual({ directory: '/repo', file: 'gateway/Dockerfile', exclude: expect.arrayContaining(['node_modules', 'cdk.out', '.git']) });
  });

  test('a regional stack outside the configured regions is refused', () => {
    const other = new App();
    const base = buildGatehouse(other, config, { imageUri: 'x/y:1' }).base['us-east-1'];
    expect(() => new RegionalStack(other, 'Elsewhere', { env: { account: config.account, region: 'eu-west-1' }, config, backup: base.backup })).toThrow(
      'RegionalStack: env.region must be one of the deployed regions (us-east-1, us-west-2), got "eu-west-1".',
    );
  });

  test.each(['Gatehouse-us-east-1-base', 'Gatehouse-us-east-1', 'Gatehouse-us-west-2-base', 'Gatehouse-us-west-2'])('snapshot of %s', (name) => {
    expect(normalisedTemplate(templates[name])).toMatchSnapshot();
  });
});
