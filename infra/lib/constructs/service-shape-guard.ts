import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeInvokeWildcards, BASIC_EXECUTION_ROLE_FINDING } from './acknowledge';
import { SERVICE_ROLLOUT_CODE_DIR } from './service-rollout';

/** Properties of a {@link ServiceShapeGuard}. */
export interface ServiceShapeGuardProps {
  /** The CODE_DEPLOY service whose network and load balancer settings are guarded. */
  readonly service: ecs.BaseService;
}

/**
 * CloudFormation cannot change the network configuration, load balancers or platform of a service
 * with the CODE_DEPLOY deployment controller (AWS::ECS::Service reference; ECS answers "Unable to
 * update ... on services with a CODE_DEPLOY deployment controller"). This guard, which the service
 * waits for, refuses such a change first with the way out (docs/DEPLOY.md), so the stack update fails
 * before anything is half-applied and rolls back cleanly. It calls no AWS API.
 */
export class ServiceShapeGuard extends Construct {
  constructor(scope: Construct, id: string, props: ServiceShapeGuardProps) {
    super(scope, id);
    const cfn = props.service.node.defaultChild as ecs.CfnService;
    const onEvent = new lambda.Function(this, 'OnEvent', {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(SERVICE_ROLLOUT_CODE_DIR),
      handler: 'index.guardShape',
      timeout: Duration.seconds(10),
      memorySize: 128,
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH }),
    });
    const provider = new cr.Provider(this, 'Provider', { onEventHandler: onEvent });
    const guard = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::GatehouseServiceShape',
      properties: {
        ServiceName: Stack.of(this).getLogicalId(cfn),
        Shape: { NetworkConfiguration: cfn.networkConfiguration, LoadBalancers: cfn.loadBalancers, LaunchType: cfn.launchType, PlatformVersion: cfn.platformVersion },
      },
    });
    cfn.node.addDependency(guard);

    Validations.of(this).acknowledge(
      { id: BASIC_EXECUTION_ROLE_FINDING, reason: 'The AWS managed basic execution policy only grants writing each function\'s own logs.' },
      { id: 'AwsSolutions-L1', reason: 'The provider framework functions and their runtime are managed by aws-cdk-lib.' },
    );
    const frameworkFunctions = provider.node.findAll().filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction);
    acknowledgeInvokeWildcards(this, [onEvent.node.defaultChild as lambda.CfnFunction, ...frameworkFunctions], 'The provider framework invokes its handler by ARN; the `:*` suffix only adds its versions and aliases.');
  }
}
