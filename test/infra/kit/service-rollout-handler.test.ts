import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import * as path from 'node:path';

// The Lambda code is plain CommonJS shipped as an asset; load it the way the runtime does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const handler = require(path.join(__dirname, '..', '..', '..', 'infra', 'lambda', 'service-rollout', 'index.js')) as {
  onEvent(event: unknown): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }>;
  isComplete(event: unknown): Promise<{ IsComplete: boolean }>;
};

const codedeploy = mockClient(CodeDeployClient);
const ecs = mockClient(ECSClient);
const ssm = mockClient(SSMClient);

const OLD_TD = 'arn:aws:ecs:us-east-1:111111111111:task-definition/gateway:7';
const RELEASE_TD = 'arn:aws:ecs:us-east-1:111111111111:task-definition/gateway:8';
const CDK_TD = 'arn:aws:ecs:us-east-1:111111111111:task-definition/gateway:9';
const IMAGE_A = '111111111111.dkr.ecr.us-east-1.amazonaws.com/gatehouse:a';
const IMAGE_B = '111111111111.dkr.ecr.us-east-1.amazonaws.com/gatehouse:b';

const props = (taskDefinitionArn: string) => ({
  ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:x',
  ClusterName: 'cluster',
  ServiceName: 'gateway',
  TaskDefinitionArn: taskDefinitionArn,
  ContainerName: 'gateway',
  ContainerPort: '8080',
  ApplicationName: 'Gatehouse-gateway',
  DeploymentGroupName: 'group',
  ImageParameterName: '/gatehouse/gateway/image',
  SmokeTestFunctionName: 'smoke',
});
const event = (type: 'Create' | 'Update' | 'Delete', taskDefinitionArn: string) => ({
  RequestType: type,
  PhysicalResourceId: type === 'Create' ? undefined : 'cluster/gateway',
  ResourceProperties: props(taskDefinitionArn),
});

/** The world after a release: the service runs the release's task definition with image B, released = B. */
function afterRelease(images: Record<string, string>, released = IMAGE_B, running = RELEASE_TD): void {
  ecs.on(DescribeServicesCommand).resolves({ services: [{ taskDefinition: OLD_TD, taskSets: [{ status: 'PRIMARY', taskDefinition: running }] }] });
  for (const [arn, image] of Object.entries(images))
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: arn }).resolves({ taskDefinition: { containerDefinitions: [{ name: 'gateway', image }] } });
  ssm.on(GetParameterCommand, { Name: '/gatehouse/gateway/image' }).resolves({ Parameter: { Value: released } });
  codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW' });
}

beforeEach(() => {
  codedeploy.reset();
  ecs.reset();
  ssm.reset();
});

describe('service rollout handler', () => {
  test('a task definition change made by cdk deploy is rolled out through CodeDeploy with the smoke-test hook', async () => {
    afterRelease({ [CDK_TD]: IMAGE_B });
    const out = await handler.onEvent(event('Update', CDK_TD));
    expect(out).toEqual({ PhysicalResourceId: 'cluster/gateway', Data: { DeploymentId: 'd-NEW' } });
    const call = codedeploy.commandCalls(CreateDeploymentCommand)[0].args[0].input;
    expect(call.applicationName).toBe('Gatehouse-gateway');
    expect(call.deploymentGroupName).toBe('group');
    expect(JSON.parse(call.revision!.appSpecContent!.content!)).toEqual({
      version: '0.0',
      Resources: [
        { TargetService: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: CDK_TD, LoadBalancerInfo: { ContainerName: 'gateway', ContainerPort: 8080 } } } },
      ],
      Hooks: [{ AfterAllowTestTraffic: 'smoke' }],
    });
  });

  test('nothing to do when the service already runs the task definition (first create)', async () => {
    afterRelease({}, IMAGE_A, OLD_TD);
    const out = await handler.onEvent(event('Create', OLD_TD));
    expect(out.Data).toEqual({ DeploymentId: 'none', Reason: 'the service already runs this task definition' });
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test('a stack rollback to a task definition with an older image never shifts traffic back', async () => {
    afterRelease({ [OLD_TD]: IMAGE_A });
    const out = await handler.onEvent(event('Update', OLD_TD));
    expect(out.Data).toEqual({
      DeploymentId: 'none',
      Reason: `its image ${IMAGE_A} is not the released image ${IMAGE_B} (/gatehouse/gateway/image); a stack rollback never shifts traffic back to an older release`,
    });
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test('refuses to start while another deployment (a release) is in progress', async () => {
    afterRelease({ [CDK_TD]: IMAGE_B });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-RELEASE'] });
    await expect(handler.onEvent(event('Update', CDK_TD))).rejects.toThrow(
      'CodeDeploy deployment d-RELEASE is in progress in group (a release?). Wait for it to finish, then run cdk deploy again.',
    );
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test('delete stops nothing', async () => {
    const out = await handler.onEvent(event('Delete', CDK_TD));
    expect(out).toEqual({ PhysicalResourceId: 'cluster/gateway' });
    expect(codedeploy.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });

  test('a service that does not exist is reported by name', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    await expect(handler.onEvent(event('Update', CDK_TD))).rejects.toThrow('ECS service gateway was not found in cluster cluster.');
  });

  test('isComplete waits for the deployment and reports a failure with CodeDeploy\'s reason', async () => {
    const polled = (status: string, message?: string) => {
      codedeploy.reset();
      codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-NEW' }).resolves({ deploymentInfo: { status: status as never, errorInformation: message ? { message } : undefined } });
      return handler.isComplete({ RequestType: 'Update', Data: { DeploymentId: 'd-NEW' } });
    };
    await expect(polled('InProgress')).resolves.toEqual({ IsComplete: false });
    await expect(polled('Succeeded')).resolves.toEqual({ IsComplete: true, Data: { DeploymentId: 'd-NEW' } });
    await expect(polled('Failed', 'alarm Gateway5xxRate fired')).rejects.toThrow(
      'CodeDeploy deployment d-NEW failed (alarm Gateway5xxRate fired); CodeDeploy kept or restored the previous task set.',
    );
    await expect(handler.isComplete({ RequestType: 'Update', Data: { DeploymentId: 'none' } })).resolves.toEqual({ IsComplete: true });
  });
});
