import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';

import { configError, ReleaseError } from './errors';
import type { ReleaseTarget } from './targets';

/** What a region's service runs now. */
export interface ServiceState {
  readonly taskDefinitionArn: string;
  readonly taskDefinition: TaskDefinition;
  readonly tags: readonly Tag[];
  /** Image of the gateway container in the current task definition. */
  readonly currentImage: string;
  readonly runningCount: number;
  readonly desiredCount: number;
}

/** Reads the service and the task definition it runs (read-only calls). */
export async function readServiceState(target: ReleaseTarget, ecs: ECSClient): Promise<ServiceState> {
  const { services, failures } = await ecs.send(new DescribeServicesCommand({ cluster: target.clusterName, services: [target.serviceName] }));
  const service = services?.[0];
  if (!service || service.status === 'INACTIVE') {
    const reason = failures?.[0]?.reason ?? service?.status ?? 'MISSING';
    throw configError(
      `ECS service "${target.serviceName}" in cluster "${target.clusterName}" (${target.region}) was not found (${reason}).`,
      `check the ServiceName and ClusterName outputs of stack "${target.stackName}" and deploy it again.`,
    );
  }
  if (service.deploymentController?.type !== 'CODE_DEPLOY') {
    throw configError(
      `ECS service "${target.serviceName}" (${target.region}) uses the ${service.deploymentController?.type ?? 'ECS'} deployment controller, not CODE_DEPLOY.`,
      'deploy the current CDK kit, whose gateway service is released through CodeDeploy blue/green.',
    );
  }
  // On a CODE_DEPLOY service the primary task set carries the task definition that takes traffic.
  const primary = service.taskSets?.find((s) => s.status === 'PRIMARY');
  const taskDefinitionArn = primary?.taskDefinition ?? service.taskDefinition;
  if (!taskDefinitionArn) {
    throw configError(`ECS service "${target.serviceName}" (${target.region}) has no task definition.`, 'deploy the stack again so the service has a running task set.');
  }
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn, include: ['TAGS'] }));
  const taskDefinition = described.taskDefinition;
  if (!taskDefinition) throw new ReleaseError(`Task definition ${taskDefinitionArn} (${target.region}) could not be read.`);
  const container = gatewayContainer(taskDefinition, target);
  return {
    taskDefinitionArn,
    taskDefinition,
    tags: described.tags ?? [],
    currentImage: container.image ?? '',
    runningCount: primary?.runningCount ?? service.runningCount ?? 0,
    desiredCount: primary?.computedDesiredCount ?? service.desiredCount ?? 0,
  };
}

function gatewayContainer(taskDefinition: TaskDefinition, target: ReleaseTarget) {
  const container = taskDefinition.containerDefinitions?.find((c) => c.name === target.containerName);
  if (!container) {
    const names = (taskDefinition.containerDefinitions ?? []).map((c) => c.name).join(', ');
    throw configError(
      `Task definition ${taskDefinition.taskDefinitionArn} (${target.region}) has no container "${target.containerName}" (it has: ${names}).`,
      `make the ContainerName output of stack "${target.stackName}" name the gateway container.`,
    );
  }
  return container;
}

/** The gateway image of a task definition, or undefined when it has no such container. */
export function gatewayImageOf(taskDefinition: TaskDefinition, containerName: string): string | undefined {
  return taskDefinition.containerDefinitions?.find((c) => c.name === containerName)?.image;
}

/**
 * The RegisterTaskDefinition input for a copy of `taskDefinition` whose gateway container runs `image`:
 * every other field is kept; the fields ECS sets itself (and rejects on input) are dropped.
 */
export function nextTaskDefinitionInput(
  taskDefinition: TaskDefinition,
  tags: readonly Tag[],
  containerName: string,
  image: string,
): RegisterTaskDefinitionCommandInput {
  const {
    taskDefinitionArn: _arn,
    revision: _revision,
    status: _status,
    requiresAttributes: _requiresAttributes,
    compatibilities: _compatibilities,
    registeredAt: _registeredAt,
    registeredBy: _registeredBy,
    deregisteredAt: _deregisteredAt,
    deleteRequestedAt: _deleteRequestedAt,
    ...kept
  } = taskDefinition;
  const containerDefinitions = (taskDefinition.containerDefinitions ?? []).map((c) => (c.name === containerName ? { ...c, image } : c));
  return {
    ...kept,
    family: taskDefinition.family,
    containerDefinitions,
    ...(tags.length > 0 ? { tags: [...tags] } : {}),
  };
}

/** Registers the new revision and returns its ARN. */
export async function registerTaskDefinition(ecs: ECSClient, input: RegisterTaskDefinitionCommandInput): Promise<string> {
  const { taskDefinition } = await ecs.send(new RegisterTaskDefinitionCommand(input));
  if (!taskDefinition?.taskDefinitionArn) throw new ReleaseError(`RegisterTaskDefinition for family ${input.family} returned no ARN.`, 1);
  return taskDefinition.taskDefinitionArn;
}
