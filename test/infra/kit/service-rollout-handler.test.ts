import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, ListDeploymentsCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import * as path from 'node:path';

// The Lambda code is plain CommonJS shipped as an asset; load it the way the runtime does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const handler = require(path.join(__dirname, '..', '..', '..', 'infra', 'lambda', 'service-rollout', 'index.js')) as {
  onEvent(event: unknown): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }>;
  isComplete(event: unknown): Promise<{ IsComplete: boolean }>;
  guardShape(event: unknown): Promise<{ PhysicalResourceId: string }>;
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
  TimeoutSeconds: '2700',
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
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: arn })
      .resolves({ taskDefinition: { taskDefinitionArn: arn, revision: 9, status: 'ACTIVE', family: 'gateway', containerDefinitions: [{ name: 'gateway', image }] }, tags: [{ key: 'k', value: 'v' }] });
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
    expect(out).toEqual({ PhysicalResourceId: 'cluster/gateway', Data: { DeploymentId: 'd-NEW', TaskDefinitionArn: CDK_TD, Deadline: expect.stringMatching(/^\d+$/) } });
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

  // A change set resolves the SSM parameter when it is created; a release may write it before the resource runs.
  test('a task definition whose image is no longer the released one is deployed with the released image, not skipped', async () => {
    afterRelease({ [CDK_TD]: IMAGE_A });
    const copy = 'arn:aws:ecs:us-east-1:111111111111:task-definition/gateway:10';
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: copy } });
    const out = await handler.onEvent(event('Update', CDK_TD));
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input).toEqual({
      family: 'gateway',
      containerDefinitions: [{ name: 'gateway', image: IMAGE_B }],
      tags: [{ key: 'k', value: 'v' }],
    });
    const appSpec = JSON.parse(codedeploy.commandCalls(CreateDeploymentCommand)[0].args[0].input.revision!.appSpecContent!.content!);
    expect(appSpec.Resources[0].TargetService.Properties.TaskDefinition).toBe(copy);
    expect(out.Data).toMatchObject({ DeploymentId: 'd-NEW', TaskDefinitionArn: copy });
  });

  test('a stack rollback to a task definition with an older image keeps the released image', async () => {
    afterRelease({ [OLD_TD]: IMAGE_A });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:us-east-1:111111111111:task-definition/gateway:10' } });
    await handler.onEvent(event('Update', OLD_TD));
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input.containerDefinitions).toEqual([{ name: 'gateway', image: IMAGE_B }]);
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

  // CloudFormation fails a custom resource after one hour and leaves the deployment running (ServiceTimeout).
  test('past its deadline isComplete stops the deployment with rollback and fails', async () => {
    codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
    codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    const late = { RequestType: 'Update', ResourceProperties: props(CDK_TD), Data: { DeploymentId: 'd-NEW', Deadline: String(Date.now() - 1) } };
    await expect(handler.isComplete(late)).rejects.toThrow(
      'CodeDeploy deployment d-NEW was still InProgress after 45 min; it was stopped with rollback so it does not block the next deploy.',
    );
    expect(codedeploy.commandCalls(StopDeploymentCommand)[0].args[0].input).toEqual({ deploymentId: 'd-NEW', autoRollbackEnabled: true });
  });
});

describe('service shape guard', () => {
  const shape = (subnets: string[]) => ({ ServiceToken: 'x', ServiceName: 'GatewayService', Shape: { NetworkConfiguration: { AwsvpcConfiguration: { Subnets: subnets } } } });

  test('accepts the first shape and an unchanged one', async () => {
    const created = await handler.guardShape({ RequestType: 'Create', ResourceProperties: shape(['a']) });
    expect(created.PhysicalResourceId).toMatch(/^shape-[0-9a-f]{16}$/);
    await expect(handler.guardShape({ RequestType: 'Update', PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: shape(['a']) })).resolves.toEqual(created);
  });

  // CloudFormation cannot update NetworkConfiguration or LoadBalancers of a CODE_DEPLOY service (AWS::ECS::Service reference).
  test('refuses a changed network or load balancer with the way out', async () => {
    const created = await handler.guardShape({ RequestType: 'Create', ResourceProperties: shape(['a']) });
    await expect(handler.guardShape({ RequestType: 'Update', PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: shape(['b']) })).rejects.toThrow(
      /^The network or load balancer settings of ECS service GatewayService \(logical id\) changed \(shape-[0-9a-f]{16} -> shape-[0-9a-f]{16}\)\. CloudFormation cannot apply such a change to a service with the CODE_DEPLOY deployment controller; see "Changes CloudFormation cannot make" in docs\/DEPLOY\.md for the way to replace the service\.$/,
    );
  });
});
