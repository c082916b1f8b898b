/**
 * The AWS behaviours the default deployment depends on, each as a template assertion naming the
 * document or issue it encodes (nothing here can reach AWS, so these stand in for a first deploy).
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildGatehouse, initialConfigFor, loadDeploymentConfig } from '../../../infra/lib';
import { resourcesOf } from './helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const config = loadDeploymentConfig(cdkJson.context.gatehouse);

type ContainerDefinition = { Name: string; Environment?: Array<{ Name: string; Value: unknown }>; Secrets?: Array<{ Name: string; ValueFrom: unknown }> };

function gatewayContainer(t: Template, name = 'gateway'): ContainerDefinition {
  for (const [, td] of resourcesOf(t, 'AWS::ECS::TaskDefinition')) {
    const container = (td.Properties?.ContainerDefinitions as ContainerDefinition[]).find((c) => c.Name === name);
    if (container) return container;
  }
  throw new Error(`no container ${name}`);
}
const envOf = (c: ContainerDefinition) => Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));

describe('the default deployment on a real account', () => {
  let primary: Template;
  let secondary: Template;
  let primaryBase: Template;
  let secondaryBase: Template;

  beforeAll(() => {
    const app = new App({ context: { ...cdkJson.context } });
    const stacks = buildGatehouse(app, config, { imageUri: 'public.ecr.aws/example/gatehouse:1.0.0' });
    primary = Template.fromStack(stacks.regional['us-east-1']);
    secondary = Template.fromStack(stacks.regional['us-west-2']);
    primaryBase = Template.fromStack(stacks.base['us-east-1']);
    secondaryBase = Template.fromStack(stacks.base['us-west-2']);
  });

  // ECS reads a JSON key of a secret only by its complete ARN (aws-cdk issues 20744, 24142, 18555).
  test('a secondary region names the replicated database secret by its complete ARN, looked up in its own region', () => {
    const [lookupId] = resourcesOf(secondary, 'Custom::AWS').find(([, r]) => JSON.stringify(r.Properties).includes('DescribeSecret') && JSON.stringify(r.Properties).includes('config-database'))!;
    const secrets = gatewayContainer(secondary).Secrets!;
    for (const key of ['PGUSER', 'PGPASSWORD']) {
      const valueFrom = JSON.stringify(secrets.find((s) => s.Name === key)!.ValueFrom);
      expect(valueFrom).toContain(`"Fn::GetAtt":["${lookupId}","ARN"]`);
    }
    expect(JSON.stringify(secondary.toJSON())).not.toContain('secret:Gatehouse/config-database/credentials:');
  });

  // DESIGN.md, least privilege: data planes connect with a read-only role; only the control plane writes.
  test('data planes get only the reader secret; the control plane gets the owner\'s and the reader\'s', () => {
    const refs = (c: ContainerDefinition, name: string) => JSON.stringify(c.Secrets!.find((s) => s.Name === name)!.ValueFrom);
    const [readerId] = resourcesOf(primary, 'AWS::SecretsManager::Secret').find(([, r]) => r.Properties!.Name === 'Gatehouse/config-database/reader')!;
    const [ownerAttachment] = resourcesOf(primary, 'AWS::SecretsManager::SecretTargetAttachment')[0]!;
    const dataPlane = gatewayContainer(primary);
    const controlPlane = gatewayContainer(primary, 'control-plane');
    for (const key of ['PGUSER', 'PGPASSWORD']) {
      expect(refs(dataPlane, key)).toContain(`{"Ref":"${readerId}"}`);
      expect(refs(controlPlane, key)).toContain(`{"Ref":"${ownerAttachment}"}`);
    }
    expect(refs(controlPlane, 'GATEHOUSE_DATABASE_READER_USER')).toContain(`{"Ref":"${readerId}"},":username::"`);
    expect(refs(controlPlane, 'GATEHOUSE_DATABASE_READER_PASSWORD')).toContain(`{"Ref":"${readerId}"},":password::"`);
    expect(dataPlane.Secrets!.map((s) => s.Name)).not.toContain('GATEHOUSE_DATABASE_READER_PASSWORD');
    // No data plane role may read the owner's secret: only the control plane's execution role names it.
    const readers = resourcesOf(primary, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties!.PolicyDocument).includes(`"Ref":"${ownerAttachment}"`));
    expect(readers.map(([id]) => id)).toEqual([expect.stringMatching(/^ControlPlane.*ExecutionRole/)]);
    // The secondary has no owner credentials at all: its data planes look up the replicated reader secret.
    expect(JSON.stringify(secondary.toJSON())).not.toContain('config-database/credentials');
    expect(JSON.stringify(gatewayContainer(secondary).Secrets)).toContain('DatabaseReaderCredentials');
  });

  // TLS to RDS: verify-full against the RDS CA bundle in the image (RDS user guide, "Using SSL/TLS to encrypt a connection to a DB instance").
  test('every gateway task verifies the database: sslmode=verify-full and the RDS CA bundle', () => {
    for (const c of [gatewayContainer(primary), gatewayContainer(primary, 'control-plane'), gatewayContainer(secondary)]) {
      expect(JSON.stringify(envOf(c).DATABASE_URL)).toContain('?sslmode=verify-full');
      expect(envOf(c).GATEHOUSE_DATABASE_CA).toBe('rds');
    }
  });

  // ECS task secrets need the complete secret ARN (aws-cdk #20744); a replicated secret keeps its name in every
  // region (Secrets Manager docs, "Replicate an AWS Secrets Manager secret to other AWS Regions").
  test('one secrets key for every region: generated once in the primary, retained, replicated, and given to the control plane and every data plane', () => {
    primary.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        Name: 'Gatehouse/gateway/secrets-key',
        GenerateSecretString: Match.objectLike({ PasswordLength: 43, ExcludePunctuation: true, IncludeSpace: false }),
        ReplicaRegions: [{ Region: 'us-west-2' }],
      }),
    });
    for (const c of [gatewayContainer(primary), gatewayContainer(primary, 'control-plane'), gatewayContainer(secondary)])
      expect(c.Secrets!.map((s) => s.Name)).toContain('GATEHOUSE_SECRETS_KEYS');
    const [keyLookup] = resourcesOf(secondary, 'Custom::AWS').find(([, r]) => JSON.stringify(r.Properties).includes('gateway/secrets-key'))!;
    expect(JSON.stringify(gatewayContainer(secondary).Secrets!.find((s) => s.Name === 'GATEHOUSE_SECRETS_KEYS')!.ValueFrom)).toContain(`"Fn::GetAtt":["${keyLookup}","ARN"]`);
  });

  // A hot standby refuses LISTEN (PostgreSQL docs, "Hot Standby": LISTEN is not allowed on a standby).
  test('secondary data planes poll only; the primary\'s also LISTEN', () => {
    expect(envOf(gatewayContainer(secondary)).GATEHOUSE_CONFIG_PUSH).toBe('false');
    expect(envOf(gatewayContainer(primary)).GATEHOUSE_CONFIG_PUSH).toBe('true');
  });

  // CloudFormation cannot update NetworkConfiguration or LoadBalancers of a CODE_DEPLOY service (AWS::ECS::Service reference).
  test('the data plane service waits for the guard of its network and load balancer settings', () => {
    for (const t of [primary, secondary]) {
      const [guardId, guard] = resourcesOf(t, 'Custom::GatehouseServiceShape')[0]!;
      expect(Object.keys((guard.Properties!.Shape as Record<string, unknown>)).sort()).toEqual(['LaunchType', 'LoadBalancers', 'NetworkConfiguration']);
      const service = resourcesOf(t, 'AWS::ECS::Service').find(([, r]) => JSON.stringify(r.Properties).includes('CODE_DEPLOY'))![1];
      expect(service.DependsOn).toContain(guardId);
    }
  });

  // ECS replaces tasks that fail their target group's health checks (ECS developer guide, "Health check grace period").
  test('the first config comes from the initial config file: an init container writes it onto the control plane\'s data volume', () => {
    const [, td] = resourcesOf(primary, 'AWS::ECS::TaskDefinition').find(([, r]) => JSON.stringify(r.Properties).includes('"Name":"control-plane"'))!;
    const containers = td.Properties!.ContainerDefinitions as Array<Record<string, any>>;
    const init = containers.find((c) => c.Name === 'initial-config')!;
    const controlPlane = containers.find((c) => c.Name === 'control-plane')!;
    expect(init).toMatchObject({ Essential: false, ReadonlyRootFilesystem: true, User: '1000:1000', MountPoints: [{ ContainerPath: '/var/lib/gatehouse', SourceVolume: 'data', ReadOnly: false }] });
    const initEnv = envOf(init as ContainerDefinition);
    expect(initEnv.INITIAL_CONFIG_PATH).toBe('/var/lib/gatehouse/initial-config.json');
    expect(JSON.parse(initEnv.INITIAL_CONFIG_DOCUMENT as string)).toEqual({ routes: [], upstreams: [] });
    expect(controlPlane.DependsOn).toEqual([{ ContainerName: 'initial-config', Condition: 'SUCCESS' }]);
    expect(envOf(controlPlane as ContainerDefinition).GATEHOUSE_INITIAL_CONFIG).toBe('/var/lib/gatehouse/initial-config.json');
  });

  test('the data plane\'s first tasks start after the control plane is steady (migrated, first config imported)', () => {
    const [controlPlaneId] = resourcesOf(primary, 'AWS::ECS::Service').find(([, r]) => !JSON.stringify(r.Properties).includes('CODE_DEPLOY'))!;
    const [, dataPlane] = resourcesOf(primary, 'AWS::ECS::Service').find(([, r]) => JSON.stringify(r.Properties).includes('CODE_DEPLOY'))!;
    expect(dataPlane.DependsOn).toContain(controlPlaneId);
    expect(dataPlane.Properties!.HealthCheckGracePeriodSeconds).toBe(60);
  });

  test('an invalid initial config file stops synth with its problems', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-initial-'));
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'routes: [{ id: r, paths: [/x], upstream: nowhere }]\n');
    try {
      expect(() => initialConfigFor({ ...config, initialConfig: 'bad.yaml' }, dir)).toThrow(/^initialConfig bad\.yaml is not a valid gateway config:\n.*nowhere/s);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // A task's execution role may pull only from its own region's registry, and a region must survive the primary's loss.
  test('every region has the gateway repository: scan on push, immutable tags, lifecycle rules', () => {
    for (const t of [primaryBase, secondaryBase])
      t.hasResourceProperties('AWS::ECR::Repository', {
        RepositoryName: 'gatehouse/gateway',
        ImageScanningConfiguration: { ScanOnPush: true },
        ImageTagMutability: 'IMMUTABLE',
        LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('"tagStatus":"untagged"') },
      });
  });

  // The registry has one replication configuration; AWS::ECR::ReplicationConfiguration replaces it whole (ECR user guide, "Private image replication").
  test('the primary registry replicates the gateway repository to every secondary region, and only the primary\'s', () => {
    primaryBase.hasResourceProperties('AWS::ECR::ReplicationConfiguration', {
      ReplicationConfiguration: {
        Rules: [{ Destinations: [{ Region: 'us-west-2', RegistryId: '111111111111' }], RepositoryFilters: [{ Filter: 'gatehouse/gateway', FilterType: 'PREFIX_MATCH' }] }],
      },
    });
    secondaryBase.resourceCountIs('AWS::ECR::ReplicationConfiguration', 0);
  });

  test('an account with replication rules of its own can leave the registry\'s configuration to them', () => {
    const app = new App({ context: { ...cdkJson.context } });
    const stacks = buildGatehouse(app, { ...config, manageEcrReplication: false }, { imageUri: 'public.ecr.aws/example/gatehouse:1.0.0' });
    Template.fromStack(stacks.base['us-east-1']).resourceCountIs('AWS::ECR::ReplicationConfiguration', 0);
  });

  // ECS Exec needs a writable root filesystem for its agent (ECS developer guide, "ECS Exec"); Session Manager port forwarding needs a managed instance.
  test('one operator path to the admin API: a Session Manager port-forwarding host with no inbound rule, primary region only', () => {
    primary.hasResourceProperties('AWS::EC2::Instance', {
      InstanceType: 't4g.nano',
      BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
    });
    const [, sg] = resourcesOf(primary, 'AWS::EC2::SecurityGroup').find(([, g]) => g.Properties!.GroupDescription === 'Gatehouse admin access host (no inbound)')!;
    expect(sg.Properties!.SecurityGroupIngress).toBeUndefined();
    expect(resourcesOf(primary, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r.Properties?.GroupId).includes('AdminAccessSecurityGroup'))).toEqual([]);
    primary.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AmazonSSMManagedInstanceCore')])] })] });
    // One launch template, the construct's own: IMDSv2 and detailed monitoring (Control Tower CT.EC2.PR.16).
    primary.resourceCountIs('AWS::EC2::LaunchTemplate', 1);
    primary.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' }, Monitoring: { Enabled: true } } });
    primary.hasResourceProperties('AWS::EC2::Instance', { LaunchTemplate: { LaunchTemplateId: Match.anyValue(), Version: Match.anyValue() } });
    secondary.resourceCountIs('AWS::EC2::Instance', 0);
  });
});
