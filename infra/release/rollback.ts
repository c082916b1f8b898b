import { GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { PutParameterCommand } from '@aws-sdk/client-ssm';

import { consoleUrl, type CommandContext } from './context';
import { regionalStackName } from './deployment-config';
import { startDeployment, stopWithRollback, waitForDeployment, type DeploymentResult, type Strategy } from './deploy';
import { configError, usageError, type ExitCodeValue } from './errors';
import { inFlightDeployments } from './in-flight';
import { findPreviousTaskDefinition } from './previous-task-definition';
import { createProgress, type ReleaseProgress } from './progress';
import { exitCodeOf, formatSummary, type RegionOutcome } from './summary';
import { findTarget, type ReleaseTarget } from './targets';
import { gatewayImageOf, readServiceState } from './task-definition';

/** What `rollback` was asked to do. */
export interface RollbackRequest {
  readonly regions: readonly string[];
  /** Stop this deployment (one region only) instead of the ones found in flight. */
  readonly deploymentId?: string;
  /** Redeploy this task definition instead of the previous successful revision. */
  readonly taskDefinitionArn?: string;
  readonly strategy: Strategy;
}

/** Per region: stop the deployment in flight, or redeploy what ran before. */
type RollbackAction =
  | { readonly kind: 'stop'; readonly target: ReleaseTarget; readonly deploymentIds: readonly string[] }
  | { readonly kind: 'redeploy'; readonly target: ReleaseTarget; readonly fromArn: string; readonly fromImage: string; readonly toArn: string; readonly toImage: string };

/**
 * Rolls regions back. Every region's action is worked out first with read-only calls, so a region that
 * cannot be rolled back stops the command before any region is changed.
 */
export async function runRollback(ctx: CommandContext, request: RollbackRequest): Promise<ExitCodeValue> {
  if (request.deploymentId && request.regions.length !== 1) {
    throw usageError('--deployment-id', 'names one deployment, which lives in one region.', 'add --regions <the region of that deployment>.');
  }
  const actions = await Promise.all(request.regions.map((region) => planRollback(ctx, region, request)));
  const progress = createProgress(ctx.out);
  const outcomes: RegionOutcome[] = [];
  try {
    for (const action of actions) {
      outcomes.push(action.kind === 'stop' ? await stopInFlight(ctx, action, progress) : await redeploy(ctx, action, request.strategy, progress));
    }
  } finally {
    progress.stop();
  }
  ctx.out.write(`${formatSummary('Rollback', outcomes)}\n`);
  return exitCodeOf(outcomes);
}

async function planRollback(ctx: CommandContext, region: string, request: RollbackRequest): Promise<RollbackAction> {
  const clients = ctx.clients(region);
  const target = await findTarget(region, regionalStackName(ctx.config, region), clients.cloudFormation);
  if (request.deploymentId) {
    const { deploymentInfo } = await clients.codeDeploy.send(new GetDeploymentCommand({ deploymentId: request.deploymentId }));
    const status = deploymentInfo?.status ?? 'Unknown';
    if (['Succeeded', 'Failed', 'Stopped'].includes(status)) {
      throw usageError('--deployment-id', `deployment ${request.deploymentId} in ${region} has already ended (${status}).`, 'leave out --deployment-id to redeploy the previous task definition instead.');
    }
    return { kind: 'stop', target, deploymentIds: [request.deploymentId] };
  }
  const running = await inFlightDeployments(clients.codeDeploy, target);
  if (running.length > 0) return { kind: 'stop', target, deploymentIds: running };

  const state = await readServiceState(target, clients.ecs);
  const toArn = request.taskDefinitionArn ?? (await findPreviousTaskDefinition(clients.codeDeploy, clients.ecs, target, state.taskDefinitionArn));
  if (!toArn) {
    throw configError(
      `No earlier successful deployment of ${state.taskDefinitionArn} with a still ACTIVE task definition was found in ${region}.`,
      `give the task definition to go back to with --task-definition <arn> (list them with "aws ecs list-task-definitions --region ${region} --sort DESC").`,
    );
  }
  const { taskDefinition } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: toArn }));
  const toImage = taskDefinition ? gatewayImageOf(taskDefinition, target.containerName) : undefined;
  if (!taskDefinition?.taskDefinitionArn || !toImage) {
    throw configError(`Task definition ${toArn} in ${region} has no container "${target.containerName}".`, 'give a task definition of the gateway service with --task-definition.');
  }
  if (taskDefinition.status !== 'ACTIVE') {
    throw configError(
      `Task definition ${toArn} in ${region} is ${taskDefinition.status}; ECS starts no tasks from it.`,
      'give an ACTIVE revision with --task-definition (aws ecs list-task-definitions --status ACTIVE).',
    );
  }
  return { kind: 'redeploy', target, fromArn: state.taskDefinitionArn, fromImage: state.currentImage, toArn: taskDefinition.taskDefinitionArn, toImage };
}

async function stopInFlight(ctx: CommandContext, action: Extract<RollbackAction, { kind: 'stop' }>, progress: ReleaseProgress): Promise<RegionOutcome> {
  const { region } = action.target;
  const codeDeploy = ctx.clients(region).codeDeploy;
  const results: DeploymentResult[] = [];
  try {
    for (const id of action.deploymentIds) {
      await stopWithRollback(codeDeploy, id);
      progress.line(`[${region}] stopping ${id} with rollback: ${consoleUrl(region, id)}`);
      results.push(await waitForDeployment(codeDeploy, id, { ...ctx.timing, onUpdate: (s) => progress.update(region, s) }));
    }
  } catch (err) {
    return { region, result: 'failed', detail: `${(err as Error).message}; check "status" and the CodeDeploy console` };
  }
  const ids = action.deploymentIds.join(', ');
  const bad = results.find((r) => 'rollbackStatus' in r && r.rollbackStatus !== undefined && r.rollbackStatus !== 'Succeeded');
  if (bad) return { region, result: 'failed', deploymentId: ids, detail: `the rollback deployment ended ${'rollbackStatus' in bad ? bad.rollbackStatus : ''}` };
  const open = results.find((r) => r.outcome === 'timed-out');
  if (open) return { region, result: 'timed-out', deploymentId: ids, detail: open.reason };
  return { region, result: 'succeeded', deploymentId: ids, detail: 'stopped; traffic is back on the original task set' };
}

async function redeploy(ctx: CommandContext, action: Extract<RollbackAction, { kind: 'redeploy' }>, strategy: Strategy, progress: ReleaseProgress): Promise<RegionOutcome> {
  const { target, toArn, toImage } = action;
  const region = target.region;
  const clients = ctx.clients(region);
  const base = { region, fromImage: action.fromImage, toImage };
  let deploymentId: string | undefined;
  try {
    progress.line(`[${region}] redeploying ${toArn} (was ${action.fromArn})`);
    deploymentId = await startDeployment(clients.codeDeploy, target, toArn, strategy, `Gatehouse rollback to ${toImage}`);
    progress.line(`[${region}] started ${strategy} deployment ${deploymentId}: ${consoleUrl(region, deploymentId)}`);
    const result = await waitForDeployment(clients.codeDeploy, deploymentId, { ...ctx.timing, onUpdate: (s) => progress.update(region, s) });
    if (result.outcome !== 'succeeded') return { ...base, result: result.outcome, deploymentId, detail: result.reason };
    // Keep `cdk deploy` on the version rolled back to.
    await clients.ssm.send(new PutParameterCommand({ Name: target.imageParameterName, Value: toImage, Type: 'String', Overwrite: true }));
    return { ...base, result: 'succeeded', deploymentId };
  } catch (err) {
    return { ...base, result: 'failed', ...(deploymentId ? { deploymentId } : {}), detail: (err as Error).message };
  }
}
