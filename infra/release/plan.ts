import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';

import { buildAppSpec } from './appspec';
import type { CommandContext } from './context';
import { regionalStackName } from './deployment-config';
import { STRATEGIES, type Strategy } from './deploy';
import { configError } from './errors';
import { describeImageRequest, resolveImage, type ImageRequest } from './image';
import { checkImages, regionalImage } from './image-check';
import { inFlightDeployments } from './in-flight';
import { repositoryName } from '../lib/names';
import { findTarget, type ReleaseTarget } from './targets';
import { nextTaskDefinitionInput, readServiceState, type ServiceState } from './task-definition';

/** What the release will do in one region, worked out with read-only calls before anything changes. */
export interface RegionPlan {
  readonly target: ReleaseTarget;
  readonly state: ServiceState;
  readonly newImage: string;
  readonly taskDefinitionInput: RegisterTaskDefinitionCommandInput;
}

/** The whole release: regions in waves, the strategy, and each region's plan. */
export interface ReleasePlan {
  readonly image: ImageRequest;
  readonly strategy: Strategy;
  readonly waves: readonly (readonly string[])[];
  readonly regions: ReadonlyMap<string, RegionPlan>;
}

/**
 * Reads every region of the plan (stack outputs, service, task definition, running deployments, and
 * with DescribeImages the image in each region's registry) so a bad stack, a busy deployment group or
 * an image missing anywhere stops the release before the first region is touched.
 */
export async function prepareRelease(
  ctx: CommandContext,
  image: ImageRequest,
  strategy: Strategy,
  waves: readonly (readonly string[])[],
): Promise<ReleasePlan> {
  const plans = await Promise.all(waves.flat().map((region) => prepareRegion(ctx, region, image)));
  await checkImages(plans.map((p) => ({ region: p.target.region, image: p.newImage, ecr: ctx.clients(p.target.region).ecr })));
  return { image, strategy, waves, regions: new Map(plans.map((p) => [p.target.region, p])) };
}

async function prepareRegion(ctx: CommandContext, region: string, image: ImageRequest): Promise<RegionPlan> {
  const clients = ctx.clients(region);
  const target = await findTarget(region, regionalStackName(ctx.config, region), clients.cloudFormation);
  const [state, running] = await Promise.all([readServiceState(target, clients.ecs), inFlightDeployments(clients.codeDeploy, target)]);
  if (running.length > 0) {
    throw configError(
      `Deployment ${running.join(', ')} is still in progress in ${region}.`,
      `wait for it to end ("npm run release -- status --regions ${region}") or stop it with rollback ("npm run release -- rollback --regions ${region}"), then release again.`,
    );
  }
  const newImage = regionalImage(resolveImage(image, state.currentImage), region, repositoryName(ctx.config.stackPrefix));
  return { target, state, newImage, taskDefinitionInput: nextTaskDefinitionInput(state.taskDefinition, state.tags, target.containerName, newImage) };
}

/** The plan as the operator reads it before the release starts. */
export function formatPlan(plan: ReleasePlan): string {
  const lines = [`Release plan: ${describeImageRequest(plan.image)}, strategy ${plan.strategy} (${STRATEGIES[plan.strategy]})`];
  plan.waves.forEach((wave, i) => lines.push(`  wave ${i + 1}: ${wave.join(', ')}`));
  for (const region of plan.waves.flat()) {
    const p = plan.regions.get(region) as RegionPlan;
    lines.push(`  ${region}: service ${p.target.serviceName} in cluster ${p.target.clusterName}, deployment group ${p.target.deploymentGroup}`);
    lines.push(`    image: ${p.state.currentImage} -> ${p.newImage}${p.newImage === p.state.currentImage ? ' (already running; nothing to deploy)' : ''}`);
    lines.push(`    task definition: ${p.state.taskDefinitionArn} -> new revision of ${p.taskDefinitionInput.family}`);
  }
  return lines.join('\n');
}

/** The dry-run detail per region: the exact task definition and AppSpec the release would send. */
export function formatDryRunDetail(plan: ReleasePlan): string {
  const lines: string[] = [];
  for (const region of plan.waves.flat()) {
    const p = plan.regions.get(region) as RegionPlan;
    const nextArn = p.state.taskDefinitionArn.replace(/:\d+$/, ':<next revision>');
    const appSpec = buildAppSpec({
      taskDefinitionArn: nextArn,
      containerName: p.target.containerName,
      containerPort: p.target.containerPort,
      smokeTestFunctionName: p.target.smokeTestFunctionName,
    });
    lines.push(`${region}: RegisterTaskDefinition input:`, indent(JSON.stringify(p.taskDefinitionInput, null, 2)));
    lines.push(`${region}: CreateDeployment AppSpec (deployment config ${STRATEGIES[plan.strategy]}):`, indent(JSON.stringify(appSpec, null, 2)));
    lines.push(`${region}: after success, SSM parameter ${p.target.imageParameterName} = ${p.newImage}`);
  }
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
