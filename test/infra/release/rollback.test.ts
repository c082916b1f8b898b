import {
  BatchGetDeploymentsCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { PutParameterCommand } from '@aws-sdk/client-ssm';

import { appSpecContent } from '../../../infra/release/appspec';
import { describedTaskDefinition, FakeAws, mutatingLog, repository, runRelease, taskDefinitionArn } from './fake-aws';

const REGION = 'us-east-1';
let aws: FakeAws;
beforeEach(() => {
  aws = new FakeAws();
});
afterEach(() => aws.restore());

const shipped = (deploymentId: string, arn: string) => ({
  deploymentId,
  status: 'Succeeded' as const,
  revision: {
    revisionType: 'AppSpecContent' as const,
    appSpecContent: { content: appSpecContent({ taskDefinitionArn: arn, containerName: 'gateway', containerPort: 8080, smokeTestFunctionName: 'x' }) },
  },
});

/** Succeeded deployments of the group: revisions 12 (running now), 11, 9, and one of another family. */
function history(): void {
  const m = aws.region(REGION).codeDeploy;
  m.on(ListDeploymentsCommand, { includeOnlyStatuses: ['Succeeded'] }).resolves({ deployments: ['d-12', 'd-11', 'd-9', 'd-other'] });
  m.on(BatchGetDeploymentsCommand).resolves({
    deploymentsInfo: [
      shipped('d-12', taskDefinitionArn(REGION, 12)),
      shipped('d-9', taskDefinitionArn(REGION, 9)),
      shipped('d-11', taskDefinitionArn(REGION, 11)),
      shipped('d-other', 'arn:aws:ecs:us-east-1:123456789012:task-definition/other-service:11'),
    ],
  });
  aws
    .region(REGION)
    .ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn(REGION, 11) })
    .resolves({ taskDefinition: describedTaskDefinition(REGION, 11, `${repository(REGION)}:1.2.0`) });
}

test('a deployment in flight is stopped with rollback, and the rollback is followed to its end', async () => {
  const m = aws.region(REGION).codeDeploy;
  m.on(ListDeploymentsCommand).resolves({ deployments: ['d-LIVE'] });
  m.on(GetDeploymentCommand, { deploymentId: 'd-LIVE' }).resolves({ deploymentInfo: { status: 'Stopped', rollbackInfo: { rollbackDeploymentId: 'd-LIVE-RB' } } });
  m.on(GetDeploymentCommand, { deploymentId: 'd-LIVE-RB' }).resolves({ deploymentInfo: { status: 'Succeeded' } });

  const run = await runRelease(['rollback', '--regions', REGION], aws);

  expect(run.code).toBe(0);
  expect(mutatingLog(aws)).toEqual(['us-east-1 StopDeploymentCommand']);
  expect(m.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: 'd-LIVE', autoRollbackEnabled: true }]);
  expect(run.out).toContain('  us-east-1  succeeded    d-LIVE  (stopped; traffic is back on the original task set)\nRollback complete in 1 region(s). Exit code 0.\n');
});

test('--deployment-id stops that deployment', async () => {
  const m = aws.region(REGION).codeDeploy;
  m.on(GetDeploymentCommand, { deploymentId: 'd-GIVEN' })
    .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
    .resolves({ deploymentInfo: { status: 'Stopped', rollbackInfo: { rollbackDeploymentId: 'd-GIVEN-RB' } } });
  m.on(GetDeploymentCommand, { deploymentId: 'd-GIVEN-RB' }).resolves({ deploymentInfo: { status: 'Succeeded' } });

  const run = await runRelease(['rollback', '--regions', REGION, '--deployment-id', 'd-GIVEN'], aws);

  expect(run.code).toBe(0);
  expect(m.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: 'd-GIVEN', autoRollbackEnabled: true }]);
});

test('--deployment-id of a deployment that already ended is refused (exit 2)', async () => {
  aws.region(REGION).codeDeploy.on(GetDeploymentCommand, { deploymentId: 'd-OLD' }).resolves({ deploymentInfo: { status: 'Succeeded' } });

  const run = await runRelease(['rollback', '--regions', REGION, '--deployment-id', 'd-OLD'], aws);

  expect(run.code).toBe(2);
  expect(mutatingLog(aws)).toEqual([]);
  expect(run.err).toBe(
    'error: --deployment-id: deployment d-OLD in us-east-1 has already ended (Succeeded). Fix: leave out --deployment-id to redeploy the previous task definition instead.\nNothing was changed.\n',
  );
});

test('with nothing in flight, the previous successful revision is redeployed all at once and recorded in SSM', async () => {
  history();

  const run = await runRelease(['rollback', '--regions', REGION], aws);

  expect(run.code).toBe(0);
  expect(mutatingLog(aws)).toEqual(['us-east-1 CreateDeploymentCommand', 'us-east-1 PutParameterCommand']);
  const create = aws.region(REGION).codeDeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
  expect(create?.deploymentConfigName).toBe('CodeDeployDefault.ECSAllAtOnce');
  expect(create?.description).toBe(`Gatehouse rollback to ${repository(REGION)}:1.2.0`);
  expect(JSON.parse(create?.revision?.appSpecContent?.content ?? '{}').Resources[0].TargetService.Properties.TaskDefinition).toBe(taskDefinitionArn(REGION, 11));
  expect(aws.region(REGION).ssm.commandCalls(PutParameterCommand)[0]?.args[0].input).toEqual({
    Name: '/gatehouse/gateway/image',
    Value: `${repository(REGION)}:1.2.0`,
    Type: 'String',
    Overwrite: true,
  });
  expect(aws.region(REGION).codeDeploy.commandCalls(BatchGetDeploymentsCommand)[0]?.args[0].input).toEqual({ deploymentIds: ['d-12', 'd-11', 'd-9', 'd-other'] });
  expect(run.out).toContain(`[us-east-1] redeploying ${taskDefinitionArn(REGION, 11)} (was ${taskDefinitionArn(REGION, 12)})`);
});

// ECS runs no new tasks from an INACTIVE task definition (ECS developer guide, "Deregistering a task definition revision").
test('a previous revision that was deregistered (INACTIVE) is passed over for the next ACTIVE one', async () => {
  history();
  const ecs = aws.region(REGION).ecs;
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn(REGION, 11) }).resolves({ taskDefinition: { ...describedTaskDefinition(REGION, 11), status: 'INACTIVE' } });
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn(REGION, 9) }).resolves({ taskDefinition: describedTaskDefinition(REGION, 9, `${repository(REGION)}:1.0.0`) });

  const run = await runRelease(['rollback', '--regions', REGION], aws);

  expect(run.code).toBe(0);
  const create = aws.region(REGION).codeDeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
  expect(JSON.parse(create?.revision?.appSpecContent?.content ?? '{}').Resources[0].TargetService.Properties.TaskDefinition).toBe(taskDefinitionArn(REGION, 9));
});

test('--task-definition of an INACTIVE revision is refused before anything changes (exit 2)', async () => {
  history();
  aws.region(REGION).ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn(REGION, 9) }).resolves({ taskDefinition: { ...describedTaskDefinition(REGION, 9), status: 'INACTIVE' } });

  const run = await runRelease(['rollback', '--regions', REGION, '--task-definition', taskDefinitionArn(REGION, 9)], aws);

  expect(run.code).toBe(2);
  expect(mutatingLog(aws)).toEqual([]);
  expect(run.err).toBe(
    `error: Task definition ${taskDefinitionArn(REGION, 9)} in us-east-1 is INACTIVE; ECS starts no tasks from it. Fix: give an ACTIVE revision with --task-definition (aws ecs list-task-definitions --status ACTIVE).\nNothing was changed.\n`,
  );
});

test('--task-definition redeploys the given revision with the chosen strategy', async () => {
  history();
  aws.region(REGION).ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn(REGION, 9) }).resolves({ taskDefinition: describedTaskDefinition(REGION, 9, `${repository(REGION)}:1.0.0`) });

  const run = await runRelease(['rollback', '--regions', REGION, '--task-definition', taskDefinitionArn(REGION, 9), '--strategy', 'canary'], aws);

  expect(run.code).toBe(0);
  const create = aws.region(REGION).codeDeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
  expect(create?.deploymentConfigName).toBe('CodeDeployDefault.ECSCanary10Percent5Minutes');
  expect(create?.revision?.appSpecContent?.content).toContain(`"TaskDefinition":"${taskDefinitionArn(REGION, 9)}"`);
});

test('without an earlier successful revision the rollback is refused and points to --task-definition (exit 2)', async () => {
  aws.region(REGION).codeDeploy.on(ListDeploymentsCommand, { includeOnlyStatuses: ['Succeeded'] }).resolves({ deployments: [] });

  const run = await runRelease(['rollback', '--regions', REGION], aws);

  expect(run.code).toBe(2);
  expect(mutatingLog(aws)).toEqual([]);
  expect(run.err).toBe(
    `error: No earlier successful deployment of ${taskDefinitionArn(REGION, 12)} with a still ACTIVE task definition was found in us-east-1. Fix: give the task definition to go back to with --task-definition <arn> (list them with "aws ecs list-task-definitions --region us-east-1 --sort DESC").\nNothing was changed.\n`,
  );
});

test('a redeploy that fails exits 1 and leaves the SSM parameter alone', async () => {
  history();
  aws.failingRegion(REGION);
  history();

  const run = await runRelease(['rollback', '--regions', REGION], aws);

  expect(run.code).toBe(1);
  expect(mutatingLog(aws)).toEqual(['us-east-1 CreateDeploymentCommand']);
});
