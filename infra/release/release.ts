import { PutParameterCommand } from '@aws-sdk/client-ssm';

import { consoleUrl, type CommandContext } from './context';
import { startDeployment, waitForDeployment, type DeploymentResult, type Strategy } from './deploy';
import { ExitCode, type ExitCodeValue } from './errors';
import type { ImageRequest } from './image';
import { formatDryRunDetail, formatPlan, prepareRelease, type RegionPlan } from './plan';
import { createProgress, type ReleaseProgress } from './progress';
import { exitCodeOf, formatSummary, type RegionOutcome } from './summary';
import { registerTaskDefinition } from './task-definition';
import { runWaves } from './waves';

/** What `release` was asked to do. */
export interface ReleaseRequest {
  readonly image: ImageRequest;
  readonly strategy: Strategy;
  readonly waves: readonly (readonly string[])[];
  readonly dryRun: boolean;
}

/** Plans the release, then (unless dry-run) ships it wave by wave; returns the exit code. */
export async function runRelease(ctx: CommandContext, request: ReleaseRequest): Promise<ExitCodeValue> {
  const plan = await prepareRelease(ctx, request.image, request.strategy, request.waves);
  ctx.out.write(`${formatPlan(plan)}\n`);
  if (request.dryRun) {
    ctx.out.write(`${formatDryRunDetail(plan)}\nDry run: nothing was registered, deployed or written.\n`);
    return ExitCode.Ok;
  }
  const progress = createProgress(ctx.out);
  let outcomes: RegionOutcome[];
  try {
    outcomes = await runWaves(
      plan.waves,
      (region) => releaseRegion(ctx, plan.regions.get(region) as RegionPlan, request.strategy, progress),
      (index, regions) => progress.line(`Wave ${index + 1}: ${regions.join(', ')}`),
    );
  } finally {
    progress.stop();
  }
  ctx.out.write(`${formatSummary('Release', outcomes)}\n`);
  return exitCodeOf(outcomes);
}

async function releaseRegion(ctx: CommandContext, plan: RegionPlan, strategy: Strategy, progress: ReleaseProgress): Promise<RegionOutcome> {
  const { target, state, newImage } = plan;
  const region = target.region;
  const clients = ctx.clients(region);
  const base = { region, fromImage: state.currentImage, toImage: newImage };
  let deploymentId: string | undefined;
  try {
    if (newImage === state.currentImage) {
      await recordReleasedImage(ctx, plan);
      return { ...base, result: 'unchanged', detail: 'already running this image' };
    }
    const taskDefinitionArn = await registerTaskDefinition(clients.ecs, plan.taskDefinitionInput);
    progress.line(`[${region}] registered ${taskDefinitionArn}`);
    deploymentId = await startDeployment(clients.codeDeploy, target, taskDefinitionArn, strategy, `Gatehouse release of ${newImage}`);
    progress.line(`[${region}] started ${strategy} deployment ${deploymentId}: ${consoleUrl(region, deploymentId)}`);
    const result = await waitForDeployment(clients.codeDeploy, deploymentId, { ...ctx.timing, onUpdate: (s) => progress.update(region, s) });
    if (result.outcome !== 'succeeded') return { ...base, ...failureOutcome(result), deploymentId };
  } catch (err) {
    const where = deploymentId ? `while deployment ${deploymentId} ran; check it with "status"` : 'before any deployment started';
    return { ...base, result: 'failed', ...(deploymentId ? { deploymentId } : {}), detail: `${(err as Error).message} (${where})` };
  }
  try {
    await recordReleasedImage(ctx, plan);
  } catch (err) {
    return {
      ...base,
      result: 'failed',
      deploymentId,
      detail: `deployed, but writing SSM parameter ${target.imageParameterName} failed (${(err as Error).message}); set it to ${newImage} before the next "cdk deploy", or that deploy rolls the image back`,
    };
  }
  return { ...base, result: 'succeeded', deploymentId };
}

function failureOutcome(result: Exclude<DeploymentResult, { outcome: 'succeeded' }>): Pick<RegionOutcome, 'result' | 'detail'> {
  const rollback =
    'rollbackDeploymentId' in result && result.rollbackDeploymentId
      ? `; rolled back by ${result.rollbackDeploymentId} (${result.rollbackStatus ?? 'unknown'})`
      : result.outcome === 'failed'
        ? '; no automatic rollback was recorded: run "npm run release -- rollback"'
        : '';
  return { result: result.outcome, detail: `${result.reason}${rollback}` };
}

// The SSM parameter is what `cdk deploy` reads for the image, so a later `cdk deploy` keeps this release.
async function recordReleasedImage(ctx: CommandContext, plan: RegionPlan): Promise<void> {
  await ctx.clients(plan.target.region).ssm.send(
    new PutParameterCommand({ Name: plan.target.imageParameterName, Value: plan.newImage, Type: 'String', Overwrite: true }),
  );
}
