'use strict';
/**
 * Custom resource behind `ServiceRollout`: when `cdk deploy` changes the gateway's task definition,
 * roll it out through CodeDeploy (CloudFormation cannot update the task definition of a CODE_DEPLOY
 * service: aws-cdk issues 23564 / 25777). Runs on the Lambda Node.js runtime with its bundled AWS
 * SDK v3; plain CommonJS so no bundling happens at synth.
 *
 * Safety rules, in order:
 *  - the service already runs the requested task definition → nothing to do (first create, rollbacks);
 *  - the requested task definition's gateway image is not the released image (SSM parameter) → do not
 *    deploy it: that is an older template being rolled back to after a release, and deploying it would
 *    silently shift traffic back to an old version;
 *  - another deployment (a release) is in progress → fail with a message saying to wait;
 *  - otherwise create a CodeDeploy deployment (with the smoke-test hook) and wait for it.
 * Delete never stops anything: the deployment it could stop may be a release.
 */
const { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, ListDeploymentsCommand } = require('@aws-sdk/client-codedeploy');
const { ECSClient, DescribeServicesCommand, DescribeTaskDefinitionCommand } = require('@aws-sdk/client-ecs');
const { SSMClient, GetParameterCommand } = require('@aws-sdk/client-ssm');

const ACTIVE_STATUSES = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];
const NO_DEPLOYMENT = 'none';

const clients = { codedeploy: new CodeDeployClient({}), ecs: new ECSClient({}), ssm: new SSMClient({}) };

function physicalId(p) {
  return `${p.ClusterName}/${p.ServiceName}`;
}

function appSpec(p) {
  const spec = {
    version: '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: p.TaskDefinitionArn,
            LoadBalancerInfo: { ContainerName: p.ContainerName, ContainerPort: Number(p.ContainerPort) },
          },
        },
      },
    ],
  };
  if (p.SmokeTestFunctionName) spec.Hooks = [{ AfterAllowTestTraffic: p.SmokeTestFunctionName }];
  return JSON.stringify(spec);
}

/** The task definition the service runs now: its PRIMARY task set's, else the service's. */
async function runningTaskDefinition(p) {
  const out = await clients.ecs.send(new DescribeServicesCommand({ cluster: p.ClusterName, services: [p.ServiceName] }));
  const service = (out.services || [])[0];
  if (!service) throw new Error(`ECS service ${p.ServiceName} was not found in cluster ${p.ClusterName}.`);
  const primary = (service.taskSets || []).find((t) => t.status === 'PRIMARY');
  return (primary && primary.taskDefinition) || service.taskDefinition;
}

async function containerImage(taskDefinitionArn, containerName) {
  const out = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
  const container = ((out.taskDefinition && out.taskDefinition.containerDefinitions) || []).find((c) => c.name === containerName);
  if (!container) throw new Error(`Task definition ${taskDefinitionArn} has no container named "${containerName}".`);
  return container.image;
}

async function releasedImage(parameterName) {
  const out = await clients.ssm.send(new GetParameterCommand({ Name: parameterName }));
  return out.Parameter && out.Parameter.Value;
}

async function activeDeployments(p) {
  const out = await clients.codedeploy.send(
    new ListDeploymentsCommand({
      applicationName: p.ApplicationName,
      deploymentGroupName: p.DeploymentGroupName,
      includeOnlyStatuses: ACTIVE_STATUSES,
    }),
  );
  return out.deployments || [];
}

function skipped(p, reason) {
  console.log(JSON.stringify({ msg: 'rollout skipped', reason, taskDefinition: p.TaskDefinitionArn }));
  return { PhysicalResourceId: physicalId(p), Data: { DeploymentId: NO_DEPLOYMENT, Reason: reason } };
}

/** Decides and, when needed, starts the CodeDeploy deployment. */
async function onEvent(event) {
  const p = event.ResourceProperties;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const running = await runningTaskDefinition(p);
  if (running === p.TaskDefinitionArn) return skipped(p, 'the service already runs this task definition');

  const [requestedImage, released] = await Promise.all([containerImage(p.TaskDefinitionArn, p.ContainerName), releasedImage(p.ImageParameterName)]);
  if (requestedImage !== released)
    return skipped(p, `its image ${requestedImage} is not the released image ${released} (${p.ImageParameterName}); a stack rollback never shifts traffic back to an older release`);

  const active = await activeDeployments(p);
  if (active.length > 0)
    throw new Error(
      `CodeDeploy deployment ${active.join(', ')} is in progress in ${p.DeploymentGroupName} (a release?). Wait for it to finish, then run cdk deploy again.`,
    );

  const out = await clients.codedeploy.send(
    new CreateDeploymentCommand({
      applicationName: p.ApplicationName,
      deploymentGroupName: p.DeploymentGroupName,
      description: `cdk deploy: ${p.TaskDefinitionArn}`,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(p) } },
    }),
  );
  if (!out.deploymentId) throw new Error('CodeDeploy CreateDeployment returned no deployment id.');
  console.log(JSON.stringify({ msg: 'rollout started', deploymentId: out.deploymentId, taskDefinition: p.TaskDefinitionArn }));
  return { PhysicalResourceId: physicalId(p), Data: { DeploymentId: out.deploymentId } };
}

/** Polled by the provider framework until the deployment ends. */
async function isComplete(event) {
  const id = event.Data && event.Data.DeploymentId;
  if (event.RequestType === 'Delete' || !id || id === NO_DEPLOYMENT) return { IsComplete: true };
  const out = await clients.codedeploy.send(new GetDeploymentCommand({ deploymentId: id }));
  const info = out.deploymentInfo || {};
  if (info.status === 'Succeeded') return { IsComplete: true, Data: { DeploymentId: id } };
  if (info.status === 'Failed' || info.status === 'Stopped') {
    const why = (info.errorInformation && info.errorInformation.message) || 'no detail';
    throw new Error(`CodeDeploy deployment ${id} ${info.status.toLowerCase()} (${why}); CodeDeploy kept or restored the previous task set.`);
  }
  return { IsComplete: false };
}

module.exports = { onEvent, isComplete, appSpec, clients };
