import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/** What a stack hands the release command (docs/RELEASE.md, "What the release command reads"). */
export interface ReleaseContract {
  readonly cluster: ecs.ICluster;
  readonly service: ecs.BaseService;
  readonly containerName: string;
  readonly containerPort: number;
  readonly deploymentGroup: codedeploy.IEcsDeploymentGroup;
  readonly prodListener: elbv2.IApplicationListener;
  readonly testListener: elbv2.IApplicationListener;
  readonly imageParameterName: string;
  readonly smokeTestFunction: lambda.IFunction;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
}

/** Emits the release contract as stack outputs (OutputKey = id), the names the release command looks up. */
export function addReleaseContractOutputs(stack: Stack, c: ReleaseContract): void {
  const outputs: Record<string, string> = {
    ClusterName: c.cluster.clusterName,
    ServiceName: c.service.serviceName,
    ContainerName: c.containerName,
    ContainerPort: String(c.containerPort),
    CodeDeployApplication: c.deploymentGroup.application.applicationName,
    DeploymentGroup: c.deploymentGroup.deploymentGroupName,
    ProdListenerArn: c.prodListener.listenerArn,
    TestListenerArn: c.testListener.listenerArn,
    ImageParameterName: c.imageParameterName,
    SmokeTestFunctionName: c.smokeTestFunction.functionName,
    LoadBalancerDnsName: c.loadBalancer.loadBalancerDnsName,
  };
  for (const [key, value] of Object.entries(outputs)) new CfnOutput(stack, key, { value });
}
