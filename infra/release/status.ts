import { DescribeListenersCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

import type { CommandContext } from './context';
import { regionalStackName } from './deployment-config';
import { readSnapshot } from './deploy';
import { ExitCode, type ExitCodeValue } from './errors';
import { inFlightDeployments } from './in-flight';
import { describeSnapshot } from './progress';
import { findTarget } from './targets';
import { readServiceState } from './task-definition';

/** Prints, per region, what runs, what is recorded as released, where traffic goes, and any deployment in flight. */
export async function runStatus(ctx: CommandContext, regions: readonly string[]): Promise<ExitCodeValue> {
  const reports = await Promise.all(regions.map((region) => regionStatus(ctx, region)));
  ctx.out.write(`${reports.join('\n')}\n`);
  return ExitCode.Ok;
}

async function regionStatus(ctx: CommandContext, region: string): Promise<string> {
  const clients = ctx.clients(region);
  const target = await findTarget(region, regionalStackName(ctx.config, region), clients.cloudFormation);
  const [state, released, traffic, running] = await Promise.all([
    readServiceState(target, clients.ecs),
    releasedImage(clients.ssm, target.imageParameterName),
    productionTraffic(clients.elbv2, target.prodListenerArn),
    inFlightDeployments(clients.codeDeploy, target),
  ]);
  const lines = [`${region} (stack ${target.stackName}, ${target.loadBalancerDnsName})`];
  lines.push(`  running: ${state.taskDefinitionArn}, image ${state.currentImage}, tasks ${state.runningCount}/${state.desiredCount}`);
  const drift = released !== undefined && released !== state.currentImage;
  lines.push(`  released image (${target.imageParameterName}): ${released ?? 'not set'}${drift ? ' (differs from the running image: a deployment is in flight, or the last release did not finish)' : ''}`);
  lines.push(`  production traffic: ${traffic}`);
  if (running.length === 0) lines.push('  deployment: none in progress');
  for (const id of running) lines.push(`  deployment: ${describeSnapshot(await readSnapshot(clients.codeDeploy, id))}`);
  return lines.join('\n');
}

async function releasedImage(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));
    return Parameter?.Value;
  } catch (err) {
    if ((err as Error).name === 'ParameterNotFound') return undefined;
    throw err;
  }
}

/** Target groups behind the production listener with their weight and healthy targets. */
async function productionTraffic(elbv2: ElasticLoadBalancingV2Client, listenerArn: string): Promise<string> {
  const { Listeners } = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
  const forward = Listeners?.[0]?.DefaultActions?.find((a) => a.Type === 'forward');
  const groups = forward?.ForwardConfig?.TargetGroups?.length
    ? forward.ForwardConfig.TargetGroups.map((g) => ({ arn: g.TargetGroupArn ?? '', weight: g.Weight ?? 1 }))
    : forward?.TargetGroupArn
      ? [{ arn: forward.TargetGroupArn, weight: 1 }]
      : [];
  if (groups.length === 0) return 'the listener forwards to no target group';
  const total = groups.reduce((sum, g) => sum + g.weight, 0) || 1;
  const parts = await Promise.all(
    groups.map(async (g) => {
      const { TargetHealthDescriptions } = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: g.arn }));
      const all = TargetHealthDescriptions ?? [];
      const healthy = all.filter((t) => t.TargetHealth?.State === 'healthy').length;
      const name = g.arn.split('/')[1] ?? g.arn;
      return `${name} ${Math.round((100 * g.weight) / total)}% (${healthy}/${all.length} healthy)`;
    }),
  );
  return parts.join(', ');
}
