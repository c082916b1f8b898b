import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  ListDeploymentsCommand,
  ListDeploymentTargetsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { PutParameterCommand } from '@aws-sdk/client-ssm';

import {
  CONFIG,
  currentImage,
  deploymentIdOf,
  FakeAws,
  mutatingLog,
  PRIMARY,
  repository,
  runRelease,
  SIDECAR_IMAGE,
  taskDefinitionArn,
} from './fake-aws';

let aws: FakeAws;
beforeEach(() => {
  aws = new FakeAws();
});
afterEach(() => aws.restore());

const appSpec = (region: string) =>
  `{"version":"0.0","Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"${taskDefinitionArn(region, 13)}","LoadBalancerInfo":{"ContainerName":"gateway","ContainerPort":8080}}}}],"Hooks":[{"AfterAllowTestTraffic":"gh-smoke-test-${region}"}]}`;

test('releases the primary region alone, then the other regions, and exits 0', async () => {
  const run = await runRelease(['--image', '1.4.0'], aws);

  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(mutatingLog(aws).slice(0, 3)).toEqual(['us-east-1 RegisterTaskDefinitionCommand', 'us-east-1 CreateDeploymentCommand', 'us-east-1 PutParameterCommand']);
  expect(mutatingLog(aws).slice(3).sort()).toEqual(
    ['us-west-2', 'eu-west-1'].flatMap((r) => [`${r} CreateDeploymentCommand`, `${r} PutParameterCommand`, `${r} RegisterTaskDefinitionCommand`]).sort(),
  );
  expect(run.out).toContain('  wave 1: us-east-1\n  wave 2: us-west-2, eu-west-1\n');
  expect(run.out).toContain('Wave 1: us-east-1\n');
  expect(run.out.indexOf('Wave 2: us-west-2, eu-west-1')).toBeGreaterThan(run.out.indexOf('[us-east-1] registered'));
});

test('registers a copy of the running task definition with only the gateway image replaced', async () => {
  await runRelease(['--image', '1.4.0', '--regions', PRIMARY], aws);

  const [call] = aws.region(PRIMARY).ecs.commandCalls(RegisterTaskDefinitionCommand);
  expect(call?.args[0].input).toEqual({
    family: 'gatehouse-gateway',
    taskRoleArn: 'arn:aws:iam::123456789012:role/gh-task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/gh-exec',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '512',
    memory: '1024',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    containerDefinitions: [
      {
        name: 'gateway',
        image: `${repository(PRIMARY)}:1.4.0`,
        essential: true,
        portMappings: [
          { containerPort: 8080, protocol: 'tcp' },
          { containerPort: 9190, protocol: 'tcp' },
        ],
        environment: [{ name: 'GATEHOUSE_ROLE', value: 'data-plane' }],
        secrets: [{ name: 'REDIS_AUTH', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redis' }],
      },
      { name: 'log-router', image: SIDECAR_IMAGE, essential: true, firelensConfiguration: { type: 'fluentbit' } },
    ],
    tags: [{ key: 'app', value: 'gatehouse' }],
  });
});

test('starts the CodeDeploy deployment with the exact AppSpec and strategy, then records the image in SSM', async () => {
  await runRelease(['--image', '1.4.0', '--regions', PRIMARY], aws);

  const create = aws.region(PRIMARY).codeDeploy.commandCalls(CreateDeploymentCommand);
  expect(create.map((c) => c.args[0].input)).toEqual([
    {
      applicationName: 'gh-app-us-east-1',
      deploymentGroupName: 'gh-dg-us-east-1',
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      description: `Gatehouse release of ${repository(PRIMARY)}:1.4.0`,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(PRIMARY) } },
      autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'] },
    },
  ]);
  expect(aws.region(PRIMARY).codeDeploy.commandCalls(GetDeploymentCommand).map((c) => c.args[0].input)).toEqual([
    { deploymentId: deploymentIdOf(PRIMARY) },
    { deploymentId: deploymentIdOf(PRIMARY) },
    { deploymentId: deploymentIdOf(PRIMARY) },
  ]);
  expect(aws.region(PRIMARY).ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input)).toEqual([
    { Name: '/gatehouse/gateway/image', Value: `${repository(PRIMARY)}:1.4.0`, Type: 'String', Overwrite: true },
  ]);
  expect(aws.region(PRIMARY).codeDeploy.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input)).toEqual([
    { applicationName: 'gh-app-us-east-1', deploymentGroupName: 'gh-dg-us-east-1', includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] },
  ]);
  // The target is listed once, then read on every poll.
  expect(aws.region(PRIMARY).codeDeploy.commandCalls(ListDeploymentTargetsCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: 'd-USEAST1' }]);
  expect(aws.region(PRIMARY).codeDeploy.commandCalls(GetDeploymentTargetCommand).map((c) => c.args[0].input)).toEqual(
    Array(3).fill({ deploymentId: 'd-USEAST1', targetId: 'gh-cluster-us-east-1:gh-gateway-us-east-1' }),
  );
  expect(aws.region(PRIMARY).ecs.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input)).toEqual([
    { cluster: 'gh-cluster-us-east-1', services: ['gh-gateway-us-east-1'] },
  ]);
  expect(aws.region(PRIMARY).ecs.commandCalls(DescribeTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([
    { taskDefinition: taskDefinitionArn(PRIMARY, 12), include: ['TAGS'] },
  ]);
});

test('shows each change of phase, traffic and healthy tasks once, then the summary', async () => {
  const run = await runRelease(['--image', '1.4.0', '--regions', PRIMARY], aws);

  const id = deploymentIdOf(PRIMARY);
  expect(run.out).toContain(
    [
      `[us-east-1] registered ${taskDefinitionArn(PRIMARY, 13)}`,
      `[us-east-1] started canary deployment ${id}: https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/${id}?region=us-east-1`,
      `[us-east-1] ${id} InProgress: phase AfterAllowTestTraffic, traffic on green 0%, healthy green tasks 2/2`,
      `[us-east-1] ${id} InProgress: phase AllowTraffic, traffic on green 10%, healthy green tasks 2/2`,
      `[us-east-1] ${id} Succeeded: phase Succeeded, traffic on green 100%, healthy green tasks 2/2`,
      'Release summary:',
      `  us-east-1  succeeded    ${id}  ${currentImage(PRIMARY)} -> ${repository(PRIMARY)}:1.4.0`,
      'Release complete in 1 region(s). Exit code 0.',
      '',
    ].join('\n'),
  );
});

test('a failure in the first wave is rolled back and the other regions get no mutating call', async () => {
  aws.failingRegion(PRIMARY);

  const run = await runRelease(['--image', '1.4.0'], aws);

  expect(run.code).toBe(1);
  expect(mutatingLog(aws)).toEqual(['us-east-1 RegisterTaskDefinitionCommand', 'us-east-1 CreateDeploymentCommand']);
  expect(aws.mutatingCalls('us-west-2')).toEqual([]);
  expect(aws.mutatingCalls('eu-west-1')).toEqual([]);
  // The automatic rollback deployment is followed to its end.
  expect(aws.region(PRIMARY).codeDeploy.commandCalls(GetDeploymentCommand).map((c) => c.args[0].input.deploymentId)).toEqual([
    'd-USEAST1',
    'd-USEAST1',
    'd-USEAST1-RB',
  ]);
  expect(run.out).toContain(
    [
      'Release summary:',
      `  us-east-1  FAILED       d-USEAST1  ${currentImage(PRIMARY)} -> ${repository(PRIMARY)}:1.4.0  (The AfterAllowTestTraffic hook failed; rolled back by d-USEAST1-RB (Succeeded))`,
      '  us-west-2  not started  (not started because wave 1 failed in us-east-1; still on its current version)',
      '  eu-west-1  not started  (not started because wave 1 failed in us-east-1; still on its current version)',
      'Release failed; regions marked FAILED were rolled back by CodeDeploy, regions not started kept their version. Exit code 1.',
    ].join('\n'),
  );
});

test('a failure in one region of the second wave lets its wave partner finish and exits 1', async () => {
  aws.failingRegion('eu-west-1');

  const run = await runRelease(['--image', '1.4.0'], aws);

  expect(run.code).toBe(1);
  expect(aws.mutatingCalls('us-west-2')).toEqual(['us-west-2 RegisterTaskDefinitionCommand', 'us-west-2 CreateDeploymentCommand', 'us-west-2 PutParameterCommand']);
  expect(aws.mutatingCalls('eu-west-1')).toEqual(['eu-west-1 RegisterTaskDefinitionCommand', 'eu-west-1 CreateDeploymentCommand']);
  expect(run.out).toMatch(/ {2}us-west-2 {2}succeeded/);
  expect(run.out).toMatch(/ {2}eu-west-1 {2}FAILED/);
});

test('a deployment running past --timeout-minutes is stopped with rollback and exits 3', async () => {
  const m = aws.region(PRIMARY);
  m.codeDeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
  let clock = 0;

  const run = await runRelease(['--image', '1.4.0', '--timeout-minutes', '5'], aws, CONFIG, {
    pollIntervalMs: 60_000,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });

  expect(run.code).toBe(3);
  expect(m.codeDeploy.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: 'd-USEAST1', autoRollbackEnabled: true }]);
  expect(m.codeDeploy.commandCalls(GetDeploymentCommand)).toHaveLength(6);
  expect(aws.mutatingCalls('us-west-2')).toEqual([]);
  expect(run.out).toContain('TIMED OUT    d-USEAST1');
  expect(run.out).toContain('still InProgress after 5 min; the deployment was stopped with rollback');
});

test('an interrupt stops the deployment in flight with rollback and exits 3', async () => {
  const m = aws.region(PRIMARY);
  m.codeDeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
  const interrupt = new AbortController();
  let polls = 0;

  const run = await runRelease(['--image', '1.4.0'], aws, CONFIG, {
    sleep: async () => {
      polls += 1;
      if (polls === 2) interrupt.abort();
    },
    signal: interrupt.signal,
  });

  expect(run.code).toBe(3);
  expect(m.codeDeploy.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: 'd-USEAST1', autoRollbackEnabled: true }]);
  expect(aws.mutatingCalls('us-west-2')).toEqual([]);
  expect(run.out).toContain('interrupted; the deployment was stopped with rollback');
});

const imageSent = (region: string) => aws.region(region).ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.containerDefinitions?.[0]?.image;

test('a tag resolves against each region\'s repository', async () => {
  await runRelease(['--image', '1.4.0', '--regions', 'us-east-1,us-west-2', '--waves', 'all'], aws);
  expect(imageSent('us-east-1')).toBe(`${repository('us-east-1')}:1.4.0`);
  expect(imageSent('us-west-2')).toBe(`${repository('us-west-2')}:1.4.0`);
});

test('a digest resolves against the region\'s repository', async () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  await runRelease(['--image', digest, '--regions', 'us-west-2'], aws);
  expect(imageSent('us-west-2')).toBe(`${repository('us-west-2')}@${digest}`);
});

// A task's execution role pulls only from its own region's registry (the kit's grantImagePull); ECR replication keeps the name.
test('a full URI of the kit\'s repository in the primary registry runs from each region\'s replica', async () => {
  await runRelease(['--image', `${repository('us-east-1')}:1.5.0`, '--regions', 'us-east-1,us-west-2'], aws);
  expect(imageSent('us-east-1')).toBe(`${repository('us-east-1')}:1.5.0`);
  expect(imageSent('us-west-2')).toBe(`${repository('us-west-2')}:1.5.0`);
});

test('before wave 1 the image is looked up with DescribeImages in every region it will touch', async () => {
  await runRelease(['--image', '1.4.0', '--regions', 'us-east-1,us-west-2'], aws);
  for (const region of ['us-east-1', 'us-west-2'])
    expect(aws.region(region).ecr.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input)).toEqual([
      { registryId: '123456789012', repositoryName: 'gatehouse/gateway', imageIds: [{ imageTag: '1.4.0' }] },
    ]);
});

test('an image missing in one region (not replicated yet) stops the release before any region changes (exit 2)', async () => {
  aws.region('us-west-2').ecr.on(DescribeImagesCommand).rejects(Object.assign(new Error('not found'), { name: 'ImageNotFoundException' }));
  const run = await runRelease(['--image', '1.4.0', '--regions', 'us-east-1,us-west-2'], aws);
  expect(run.code).toBe(2);
  expect(aws.mutatingCalls()).toEqual([]);
  expect(run.err).toBe(
    `error: The image cannot be released: ${repository('us-west-2')}:1.4.0 does not exist in us-west-2 (ImageNotFoundException). Fix: push it to the primary region's gateway repository and wait for ECR replication to copy it to every secondary region (docs/RELEASE.md), then release again.\nNothing was changed.\n`,
  );
});

test('an image of another repository in another region\'s registry is refused', async () => {
  const other = '123456789012.dkr.ecr.us-east-1.amazonaws.com/other:1.0.0';
  const run = await runRelease(['--image', other, '--regions', 'us-east-1,us-west-2'], aws);
  expect(run.code).toBe(2);
  expect(run.err).toContain(`${other} is in the us-east-1 registry; tasks in us-west-2 pull only from us-west-2's`);
});

test('--strategy picks the CodeDeploy config; without it the deployment config\'s trafficShifting is used', async () => {
  const configName = () => aws.region(PRIMARY).codeDeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input.deploymentConfigName;
  await runRelease(['--image', '1.4.0', '--regions', PRIMARY, '--strategy', 'linear'], aws);
  expect(configName()).toBe('CodeDeployDefault.ECSLinear10PercentEvery1Minutes');

  aws.restore();
  aws = new FakeAws();
  await runRelease(['--image', '1.4.0', '--regions', PRIMARY], aws, { ...CONFIG, defaultStrategy: 'all-at-once' });
  expect(configName()).toBe('CodeDeployDefault.ECSAllAtOnce');
});

test('--regions keeps release order (primary first) and --waves "all" releases them together', async () => {
  const run = await runRelease(['--image', '1.4.0', '--regions', 'us-west-2,us-east-1', '--waves', 'all'], aws);

  expect(run.code).toBe(0);
  expect(run.out).toContain('  wave 1: us-east-1, us-west-2\n');
  expect(run.out).not.toContain('wave 2');
  expect(aws.mutatingCalls('eu-west-1')).toEqual([]);
});

test('a region already running the image is not redeployed; its SSM parameter is still made to match', async () => {
  const run = await runRelease(['--image', '1.3.0', '--regions', PRIMARY], aws);

  expect(run.code).toBe(0);
  expect(mutatingLog(aws)).toEqual(['us-east-1 PutParameterCommand']);
  expect(run.out).toContain('(already running; nothing to deploy)');
  expect(run.out).toContain('  us-east-1  unchanged');
});

test('a deployment already in flight stops the release before anything changes (exit 2)', async () => {
  aws.region('eu-west-1').codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-BUSY'] });

  const run = await runRelease(['--image', '1.4.0'], aws);

  expect(run.code).toBe(2);
  expect(mutatingLog(aws)).toEqual([]);
  expect(run.err).toBe(
    'error: Deployment d-BUSY is still in progress in eu-west-1. Fix: wait for it to end ("npm run release -- status --regions eu-west-1") or stop it with rollback ("npm run release -- rollback --regions eu-west-1"), then release again.\nNothing was changed.\n',
  );
});

test('a deployment that succeeds but cannot record the image exits 1 and says what to set', async () => {
  aws.region(PRIMARY).ssm.on(PutParameterCommand).rejects(new Error('AccessDeniedException: ssm:PutParameter'));

  const run = await runRelease(['--image', '1.4.0'], aws);

  expect(run.code).toBe(1);
  expect(run.out).toContain(
    `deployed, but writing SSM parameter /gatehouse/gateway/image failed (AccessDeniedException: ssm:PutParameter); set it to ${repository(PRIMARY)}:1.4.0 before the next "cdk deploy", or that deploy rolls the image back`,
  );
  expect(aws.mutatingCalls('us-west-2')).toEqual([]);
});
