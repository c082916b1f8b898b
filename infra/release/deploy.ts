import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  ListDeploymentTargetsCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';

import { appSpecContent } from './appspec';
import type { ReleaseTarget } from './targets';

/** Traffic-shifting strategies and the CodeDeploy predefined configs they map to. */
export const STRATEGIES = {
  canary: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
  linear: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
  'all-at-once': 'CodeDeployDefault.ECSAllAtOnce',
} as const;

export type Strategy = keyof typeof STRATEGIES;
export const DEFAULT_STRATEGY: Strategy = 'canary';
export const DEFAULT_POLL_INTERVAL_MS = 10_000;
export const DEFAULT_DEPLOYMENT_TIMEOUT_MS = 60 * 60_000;

// Set on each deployment so the rollback does not depend on how the deployment group was configured.
const AUTO_ROLLBACK = {
  enabled: true,
  events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'] as const,
};

/** Starts a CodeDeploy ECS blue/green deployment of `taskDefinitionArn`; returns the deployment id. */
export async function startDeployment(
  codeDeploy: CodeDeployClient,
  target: ReleaseTarget,
  taskDefinitionArn: string,
  strategy: Strategy,
  description: string,
): Promise<string> {
  const content = appSpecContent({
    taskDefinitionArn,
    containerName: target.containerName,
    containerPort: target.containerPort,
    smokeTestFunctionName: target.smokeTestFunctionName,
  });
  const { deploymentId } = await codeDeploy.send(
    new CreateDeploymentCommand({
      applicationName: target.application,
      deploymentGroupName: target.deploymentGroup,
      deploymentConfigName: STRATEGIES[strategy],
      description,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content } },
      autoRollbackConfiguration: { enabled: AUTO_ROLLBACK.enabled, events: [...AUTO_ROLLBACK.events] },
    }),
  );
  if (!deploymentId) throw new Error(`CreateDeployment in ${target.region} returned no deployment id.`);
  return deploymentId;
}

/** One look at a deployment in flight, as the progress display shows it. */
export interface DeploymentSnapshot {
  readonly deploymentId: string;
  readonly status: string;
  /** The lifecycle event running now (e.g. AfterAllowTestTraffic), or the deployment status. */
  readonly phase: string;
  /** Share of production traffic on the green task set, 0–100. */
  readonly trafficPercent: number;
  readonly healthyTasks: number;
  readonly desiredTasks: number;
}

export type DeploymentResult =
  | { readonly outcome: 'succeeded'; readonly deploymentId: string }
  | { readonly outcome: 'failed'; readonly deploymentId: string; readonly reason: string; readonly rollbackDeploymentId?: string; readonly rollbackStatus?: string }
  | { readonly outcome: 'stopped'; readonly deploymentId: string; readonly reason: string; readonly rollbackDeploymentId?: string; readonly rollbackStatus?: string }
  | { readonly outcome: 'timed-out'; readonly deploymentId: string; readonly reason: string };

/** How to wait; tests pass a zero interval, a fake clock and a sleep that advances it. */
export interface WaitOptions {
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  readonly onUpdate: (snapshot: DeploymentSnapshot) => void;
}

const TERMINAL = new Set(['Succeeded', 'Failed', 'Stopped']);

/**
 * Polls a deployment until it ends. Past the timeout, or when `signal` aborts, it stops the deployment
 * with automatic rollback so the region is never left half-shifted by this command.
 */
export async function waitForDeployment(codeDeploy: CodeDeployClient, deploymentId: string, options: WaitOptions): Promise<DeploymentResult> {
  const startedAt = options.now();
  let targetId: string | undefined;
  for (;;) {
    const info = await getDeployment(codeDeploy, deploymentId);
    const status = info.status ?? 'Unknown';
    if (!TERMINAL.has(status)) targetId ??= await firstTargetId(codeDeploy, deploymentId);
    const ecsTarget = targetId ? await getEcsTarget(codeDeploy, deploymentId, targetId) : undefined;
    options.onUpdate(snapshotOf(deploymentId, status, ecsTarget));

    if (status === 'Succeeded') return { outcome: 'succeeded', deploymentId };
    if (status === 'Failed' || status === 'Stopped') return endedResult(codeDeploy, info, options);
    if (options.signal?.aborted) {
      await stopWithRollback(codeDeploy, deploymentId);
      return { outcome: 'stopped', deploymentId, reason: 'interrupted; the deployment was stopped with rollback' };
    }
    if (options.now() - startedAt >= options.timeoutMs) {
      await stopWithRollback(codeDeploy, deploymentId);
      return { outcome: 'timed-out', deploymentId, reason: `still ${status} after ${Math.round(options.timeoutMs / 60_000)} min; the deployment was stopped with rollback` };
    }
    await options.sleep(options.pollIntervalMs, options.signal);
  }
}

/** The current state of a deployment, for `status` (read-only calls). */
export async function readSnapshot(codeDeploy: CodeDeployClient, deploymentId: string): Promise<DeploymentSnapshot> {
  const info = await getDeployment(codeDeploy, deploymentId);
  const status = info.status ?? 'Unknown';
  const targetId = await firstTargetId(codeDeploy, deploymentId);
  const ecsTarget = targetId ? await getEcsTarget(codeDeploy, deploymentId, targetId) : undefined;
  return snapshotOf(deploymentId, status, ecsTarget);
}

/** Stops a deployment and has CodeDeploy shift traffic back to the original task set. */
export async function stopWithRollback(codeDeploy: CodeDeployClient, deploymentId: string): Promise<string | undefined> {
  const { status } = await codeDeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
  return status;
}

async function endedResult(codeDeploy: CodeDeployClient, info: DeploymentInfo, options: WaitOptions): Promise<DeploymentResult> {
  const deploymentId = info.deploymentId ?? '';
  const outcome = info.status === 'Failed' ? 'failed' : 'stopped';
  const reason = info.errorInformation?.message ?? info.errorInformation?.code ?? `the deployment ${info.status === 'Failed' ? 'failed' : 'was stopped'}`;
  const rollbackDeploymentId = info.rollbackInfo?.rollbackDeploymentId;
  if (!rollbackDeploymentId) return { outcome, deploymentId, reason };
  // Follow the automatic rollback so the summary can say whether the region is back on the old version.
  const startedAt = options.now();
  for (;;) {
    const rollback = await getDeployment(codeDeploy, rollbackDeploymentId);
    const status = rollback.status ?? 'Unknown';
    options.onUpdate({ deploymentId: rollbackDeploymentId, status, phase: 'rolling back', trafficPercent: 0, healthyTasks: 0, desiredTasks: 0 });
    if (TERMINAL.has(status) || options.now() - startedAt >= options.timeoutMs || options.signal?.aborted) {
      return { outcome, deploymentId, reason, rollbackDeploymentId, rollbackStatus: status };
    }
    await options.sleep(options.pollIntervalMs, options.signal);
  }
}

async function getDeployment(codeDeploy: CodeDeployClient, deploymentId: string): Promise<DeploymentInfo> {
  const { deploymentInfo } = await codeDeploy.send(new GetDeploymentCommand({ deploymentId }));
  return { ...deploymentInfo, deploymentId };
}

async function firstTargetId(codeDeploy: CodeDeployClient, deploymentId: string): Promise<string | undefined> {
  const { targetIds } = await codeDeploy.send(new ListDeploymentTargetsCommand({ deploymentId }));
  return targetIds?.[0];
}

async function getEcsTarget(codeDeploy: CodeDeployClient, deploymentId: string, targetId: string): Promise<ECSTarget | undefined> {
  const { deploymentTarget } = await codeDeploy.send(new GetDeploymentTargetCommand({ deploymentId, targetId }));
  return deploymentTarget?.ecsTarget;
}

/** Phase, traffic on green and green's healthy tasks, from the deployment's ECS target. */
export function snapshotOf(deploymentId: string, status: string, target: ECSTarget | undefined): DeploymentSnapshot {
  const events = target?.lifecycleEvents ?? [];
  const running = events.find((e) => e.status === 'InProgress');
  const failed = events.find((e) => e.status === 'Failed');
  const done = [...events].reverse().find((e) => e.status === 'Succeeded');
  const allDone = events.length > 0 && events.every((e) => e.status === 'Succeeded');
  // After the last hook CodeDeploy keeps the original task set for the group's termination wait.
  const phase =
    allDone && !TERMINAL.has(status)
      ? 'traffic shifted; keeping the original task set for the termination wait'
      : ((running ?? failed ?? (status === 'Succeeded' ? undefined : done))?.lifecycleEventName ?? status);
  const green = target?.taskSetsInfo?.find((s) => s.taskSetLabel === 'Green');
  return {
    deploymentId,
    status,
    phase,
    trafficPercent: Math.round(green?.trafficWeight ?? (status === 'Succeeded' ? 100 : 0)),
    healthyTasks: green?.runningCount ?? 0,
    desiredTasks: green?.desiredCount ?? 0,
  };
}
