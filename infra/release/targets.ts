import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';

import { configError } from './errors';

/** Everything the release command needs to know about one region, read from its stack outputs. */
export interface ReleaseTarget {
  readonly region: string;
  readonly stackName: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly application: string;
  readonly deploymentGroup: string;
  readonly prodListenerArn: string;
  readonly testListenerArn: string;
  readonly imageParameterName: string;
  readonly smokeTestFunctionName: string;
  readonly loadBalancerDnsName: string;
}

/** OutputKeys of each regional stack, exactly as the infra contract names them. */
export const OUTPUT_KEYS = {
  clusterName: 'ClusterName',
  serviceName: 'ServiceName',
  containerName: 'ContainerName',
  containerPort: 'ContainerPort',
  application: 'CodeDeployApplication',
  deploymentGroup: 'DeploymentGroup',
  prodListenerArn: 'ProdListenerArn',
  testListenerArn: 'TestListenerArn',
  imageParameterName: 'ImageParameterName',
  smokeTestFunctionName: 'SmokeTestFunctionName',
  loadBalancerDnsName: 'LoadBalancerDnsName',
} as const;

type OutputField = keyof typeof OUTPUT_KEYS;

/** Reads a regional stack's outputs and turns them into a release target, or explains what is missing. */
export async function findTarget(region: string, stackName: string, cloudFormation: CloudFormationClient): Promise<ReleaseTarget> {
  const stack = await describeStack(region, stackName, cloudFormation);
  const status = stack.StackStatus ?? '';
  if (status.endsWith('_IN_PROGRESS')) {
    throw configError(`Stack "${stackName}" in ${region} is ${status}.`, 'wait until the running "cdk deploy" finishes, then release again.');
  }
  const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const fields = Object.keys(OUTPUT_KEYS) as OutputField[];
  const missing = fields.filter((f) => !outputs.get(OUTPUT_KEYS[f]));
  if (missing.length > 0) {
    const keys = missing.map((f) => OUTPUT_KEYS[f]).join(', ');
    throw configError(
      `Stack "${stackName}" in ${region} has no output ${keys}.`,
      `deploy the current CDK kit ("npx cdk deploy ${stackName}") so the stack exports every output the release command reads.`,
    );
  }
  const value = (f: OutputField): string => outputs.get(OUTPUT_KEYS[f]) as string;
  const port = Number(value('containerPort'));
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw configError(`Stack "${stackName}" in ${region} has output ContainerPort "${value('containerPort')}", which is not a port number.`, 'fix the ContainerPort output in the CDK kit and deploy the stack again.');
  }
  return {
    region,
    stackName,
    clusterName: value('clusterName'),
    serviceName: value('serviceName'),
    containerName: value('containerName'),
    containerPort: port,
    application: value('application'),
    deploymentGroup: value('deploymentGroup'),
    prodListenerArn: value('prodListenerArn'),
    testListenerArn: value('testListenerArn'),
    imageParameterName: value('imageParameterName'),
    smokeTestFunctionName: value('smokeTestFunctionName'),
    loadBalancerDnsName: value('loadBalancerDnsName'),
  };
}

async function describeStack(region: string, stackName: string, cloudFormation: CloudFormationClient): Promise<Stack> {
  let stacks: Stack[] | undefined;
  try {
    ({ Stacks: stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName })));
  } catch (err) {
    // CloudFormation answers a missing stack with a ValidationError "Stack with id X does not exist".
    if (/does not exist/i.test((err as Error).message ?? '')) stacks = [];
    else throw err;
  }
  const stack = stacks?.[0];
  if (!stack) {
    throw configError(
      `Stack "${stackName}" was not found in ${region}.`,
      `deploy it with "npx cdk deploy ${stackName}", or check primaryRegion, secondaryRegions and stackPrefix in cdk.json context.gatehouse.`,
    );
  }
  return stack;
}
