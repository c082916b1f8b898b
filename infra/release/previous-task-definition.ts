import { BatchGetDeploymentsCommand, CodeDeployClient, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';

import { taskDefinitionOfAppSpec } from './appspec';
import type { ReleaseTarget } from './targets';

// BatchGetDeployments accepts at most this many ids per call.
const BATCH_GET_LIMIT = 25;

/** Family and revision of a task definition ARN (`…:task-definition/<family>:<revision>`). */
export function parseTaskDefinitionArn(arn: string): { family: string; revision: number } | undefined {
  const match = /task-definition\/([^:]+):(\d+)$/.exec(arn);
  return match ? { family: match[1] as string, revision: Number(match[2]) } : undefined;
}

/**
 * The task definition to go back to: the highest revision of the same family, below the one running
 * now, that a successful deployment of this deployment group shipped and that is still ACTIVE. Walking
 * down by revision means repeated rollbacks keep going back instead of toggling, and revisions of
 * failed releases are skipped; a deregistered (INACTIVE) revision cannot start tasks, so it is passed over.
 */
export async function findPreviousTaskDefinition(codeDeploy: CodeDeployClient, ecs: ECSClient, target: ReleaseTarget, currentArn: string): Promise<string | undefined> {
  const current = parseTaskDefinitionArn(currentArn);
  if (!current) return undefined;
  const { deployments } = await codeDeploy.send(
    new ListDeploymentsCommand({ applicationName: target.application, deploymentGroupName: target.deploymentGroup, includeOnlyStatuses: ['Succeeded'] }),
  );
  const ids = deployments ?? [];
  const candidates: { arn: string; revision: number }[] = [];
  for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) {
    const { deploymentsInfo } = await codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: ids.slice(i, i + BATCH_GET_LIMIT) }));
    for (const info of deploymentsInfo ?? []) {
      const arn = taskDefinitionOfAppSpec(info.revision?.appSpecContent?.content);
      const parsed = arn ? parseTaskDefinitionArn(arn) : undefined;
      if (arn && parsed && parsed.family === current.family && parsed.revision < current.revision) candidates.push({ arn, revision: parsed.revision });
    }
  }
  candidates.sort((a, b) => b.revision - a.revision);
  for (const { arn } of candidates) {
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    if (taskDefinition?.status === 'ACTIVE') return arn;
  }
  return undefined;
}
