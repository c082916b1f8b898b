import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';

/** The AWS clients the release command uses in one region. */
export interface RegionClients {
  readonly cloudFormation: CloudFormationClient;
  readonly ecs: ECSClient;
  readonly codeDeploy: CodeDeployClient;
  readonly ssm: SSMClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ecr: ECRClient;
}

/** Gives the clients for a region; tests pass one that returns mocked clients. */
export type ClientFactory = (region: string) => RegionClients;

/** Real SDK clients, one set per region, created on first use. */
export function awsClientFactory(profile?: string): ClientFactory {
  const cache = new Map<string, RegionClients>();
  return (region) => {
    let clients = cache.get(region);
    if (!clients) {
      const options = { region, ...(profile ? { profile } : {}) };
      clients = {
        cloudFormation: new CloudFormationClient(options),
        ecs: new ECSClient(options),
        codeDeploy: new CodeDeployClient(options),
        ssm: new SSMClient(options),
        elbv2: new ElasticLoadBalancingV2Client(options),
        ecr: new ECRClient(options),
      };
      cache.set(region, clients);
    }
    return clients;
  };
}
