import { CodeDeployClient, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';

import type { ReleaseTarget } from './targets';

/** Statuses of a deployment that still holds the deployment group. */
export const IN_FLIGHT_STATUSES = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const;

/** Ids of the deployments still running in a region's deployment group. */
export async function inFlightDeployments(codeDeploy: CodeDeployClient, target: ReleaseTarget): Promise<string[]> {
  const { deployments } = await codeDeploy.send(
    new ListDeploymentsCommand({
      applicationName: target.application,
      deploymentGroupName: target.deploymentGroup,
      includeOnlyStatuses: [...IN_FLIGHT_STATUSES],
    }),
  );
  return deployments ?? [];
}
