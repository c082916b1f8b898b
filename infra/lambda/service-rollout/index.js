'use strict';
/**
 * Custom resource behind `ServiceRollout`: when `cdk deploy` changes the gateway's task definition,
 * roll it out through CodeDeploy (CloudFormation cannot update the task definition of a CODE_DEPLOY
 * service: aws-cdk issues 23564 / 25777). Runs on the Lambda Node.js runtime with its bundled AWS
 * SDK v3; plain CommonJS so no bundling happens at synth.
 *
 * Safety rules, in order:
 *  - the service already runs the requested task definition → nothing to do (first create);
 *  - the requested task definition's gateway image is not the released image (SSM parameter): a
 *    release ran after the change set was made, or this is an older template being rolled back to.
 *    Deploying it would shift traffic back to an older image, and skipping it would report success
 *    for a change that never reached the service; so a copy of it with the released image is
 *    registered and deployed instead;
 *  - another deployment (a release) is in progress → fail with a message saying to wait;
 *  - otherwise create a CodeDeploy deployment (with the smoke-test hook) and wait for it, at most
 *    `TimeoutSeconds`: past that the deployment is stopped with rollback and the resource fails, well
 *    before CloudFormation's one-hour custom resource limit would leave it running and blocking the
 *    next deploy.
 * Delete never stops anything: the deployment it could stop may be a release.
 *
 * `guardShape` backs `Custom::GatehouseServiceShape`, which guards the service's network and load balancer
 * settings: CloudFormation cannot change them on a CODE_DEPLOY service, so a change fails here, with
 * the way out, before the service update is attempted.
 */
const { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, ListDeploymentsCommand, StopDeploymentCommand } = require('@aws-sdk/client-codedeploy');
const { ECSClient, DescribeServicesCommand, DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } = require('@aws-sdk/client-ecs');
const { createHash } = require('node:crypto');
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

async function describeTaskDefinition(taskDefinitionArn, containerName) {
  const out = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn, include: ['TAGS'] }));
  const container = ((out.taskDefinition && out.taskDefinition.containerDefinitions) || []).find((c) => c.name === containerName);
  if (!container) throw new Error(`Task definition ${taskDefinitionArn} has no container named "${containerName}".`);
  return { taskDefinition: out.taskDefinition, tags: out.tags || [], image: container.image };
}

// Fields DescribeTaskDefinition returns that RegisterTaskDefinition sets itself and rejects.
const READ_ONLY_FIELDS = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt', 'deleteRequestedAt'];

/** Registers a copy of a task definition whose gateway container runs `image`; returns its ARN. */
async function registerWithImage(described, containerName, image) {
  const input = { ...described.taskDefinition };
  for (const field of READ_ONLY_FIELDS) delete input[field];
  input.containerDefinitions = input.containerDefinitions.map((c) => (c.name === containerName ? { ...c, image } : c));
  if (described.tags.length > 0) input.tags = described.tags;
  const out = await clients.ecs.send(new RegisterTaskDefinitionCommand(input));
  if (!out.taskDefinition || !out.taskDefinition.taskDefinitionArn) throw new Error(`RegisterTaskDefinition for family ${input.family} returned no ARN.`);
  return out.taskDefinition.taskDefinitionArn;
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

/** The service's network and load balancer settings, as a short fingerprint (the physical id). */
function shapeId(p) {
  return `shape-${createHash('sha256').update(JSON.stringify(p.Shape)).digest('hex').slice(0, 16)}`;
}

/**
 * Refuses a change of the shape. The physical id is the shape accepted last, so the rollback of a
 * refused change (CloudFormation sends the old properties again) is accepted.
 */
async function guardShape(event) {
  const p = event.ResourceProperties;
  const id = shapeId(p);
  if (event.RequestType !== 'Update' || id === event.PhysicalResourceId) return { PhysicalResourceId: id };
  throw new Error(
    `The network or load balancer settings of ECS service ${p.ServiceName} (logical id) changed (${event.PhysicalResourceId} -> ${id}). CloudFormation cannot apply such a change to a service with the CODE_DEPLOY deployment controller; see "Changes CloudFormation cannot make" in docs/DEPLOY.md for the way to replace the service.`,
  );
}

/** Decides and, when needed, starts the CodeDeploy deployment. */
async function onEvent(event) {
  const p = event.ResourceProperties;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const running = await runningTaskDefinition(p);
  if (running === p.TaskDefinitionArn) return skipped(p, 'the service already runs this task definition');

  const [requested, released] = await Promise.all([describeTaskDefinition(p.TaskDefinitionArn, p.ContainerName), releasedImage(p.ImageParameterName)]);
  let taskDefinitionArn = p.TaskDefinitionArn;
  if (requested.image !== released) {
    taskDefinitionArn = await registerWithImage(requested, p.ContainerName, released);
    console.log(JSON.stringify({ msg: 'released image kept', requestedImage: requested.image, released, taskDefinition: taskDefinitionArn }));
  }

  const active = await activeDeployments(p);
  if (active.length > 0)
    throw new Error(
      `CodeDeploy deployment ${active.join(', ')} is in progress in ${p.DeploymentGroupName} (a release?). Wait for it to finish, then run cdk deploy again.`,
    );

  const out = await clients.codedeploy.send(
    new CreateDeploymentCommand({
      applicationName: p.ApplicationName,
      deploymentGroupName: p.DeploymentGroupName,
      description: `cdk deploy: ${taskDefinitionArn}`,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec({ ...p, TaskDefinitionArn: taskDefinitionArn }) } },
    }),
  );
  if (!out.deploymentId) throw new Error('CodeDeploy CreateDeployment returned no deployment id.');
  console.log(JSON.stringify({ msg: 'rollout started', deploymentId: out.deploymentId, taskDefinition: taskDefinitionArn }));
  const deadline = Date.now() + Number(p.TimeoutSeconds) * 1000;
  return { PhysicalResourceId: physicalId(p), Data: { DeploymentId: out.deploymentId, TaskDefinitionArn: taskDefinitionArn, Deadline: String(deadline) } };
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
  if (Date.now() > Number(event.Data.Deadline)) {
    await clients.codedeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }));
    const minutes = Math.round(Number(event.ResourceProperties.TimeoutSeconds) / 60);
    throw new Error(`CodeDeploy deployment ${id} was still ${info.status} after ${minutes} min; it was stopped with rollback so it does not block the next deploy.`);
  }
  return { IsComplete: false };
}

module.exports = { onEvent, isComplete, guardShape, appSpec, clients };
