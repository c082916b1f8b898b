import * as path from 'node:path';
import { CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { acknowledgeInvokeWildcards, BASIC_EXECUTION_ROLE_FINDING } from './acknowledge';
import { Construct } from 'constructs';

/** The longest rollout: CloudFormation fails a custom resource after one hour and leaves its work running. */
export const MAX_ROLLOUT_TIMEOUT_MINUTES = 50;
/** What the provider framework's waiter adds to the handler's own deadline (so the handler stops the deployment first). */
const WAITER_MARGIN = Duration.minutes(5);

/** Where the rollout handler's plain CommonJS code lives (no bundling at synth). */
export const SERVICE_ROLLOUT_CODE_DIR = path.join(__dirname, '..', '..', 'lambda', 'service-rollout');

/** Properties of a {@link ServiceRollout}. */
export interface ServiceRolloutProps {
  /** The CODE_DEPLOY service. */
  readonly service: ecs.BaseService;
  /** The task definition CloudFormation manages for it. */
  readonly taskDefinition: ecs.TaskDefinition;
  /** The deployment group that deploys the service. */
  readonly deploymentGroup: codedeploy.IEcsDeploymentGroup;
  /** The container behind the load balancer. */
  readonly containerName: string;
  /** Its port behind the load balancer. */
  readonly containerPort: number;
  /** The SSM parameter holding the released image; a task definition with another image is never rolled out. */
  readonly imageParameterName: string;
  /**
   * Lambda run by CodeDeploy at AfterAllowTestTraffic.
   *
   * @default - no hook
   */
  readonly smokeTestFunction?: lambda.IFunction;
  /**
   * Longest a rollout may take; past it the deployment is stopped with rollback and the stack update
   * fails. At most 50 minutes: CloudFormation gives a custom resource one hour.
   *
   * @default Duration.minutes(45)
   */
  readonly timeout?: Duration;
}

/**
 * Makes `cdk deploy` and releases coexist on a CODE_DEPLOY service. CloudFormation registers the new
 * task definition revision but cannot put it on the service; this custom resource does, through a
 * CodeDeploy deployment (same hooks and alarms as a release), and waits for it. It never rolls out
 * a task definition whose image is not the released one, so a stack rollback after a release cannot
 * shift traffic back to an older version, and it refuses to start while a release is in progress.
 */
export class ServiceRollout extends Construct {
  /** The id of the CodeDeploy deployment the last stack update started, or `none`. */
  readonly deploymentId: string;

  constructor(scope: Construct, id: string, props: ServiceRolloutProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.minutes(45);
    if (timeout.toSeconds() > MAX_ROLLOUT_TIMEOUT_MINUTES * 60)
      throw new Error(
        `ServiceRollout: timeout must be at most ${MAX_ROLLOUT_TIMEOUT_MINUTES} minutes (CloudFormation fails a custom resource after one hour), got ${timeout.toMinutes({ integral: false })}.`,
      );
    const stack = Stack.of(this);

    const handler = (name: 'onEvent' | 'isComplete') =>
      new lambda.Function(this, name === 'onEvent' ? 'OnEvent' : 'IsComplete', {
        runtime: lambda.Runtime.NODEJS_24_X,
        code: lambda.Code.fromAsset(SERVICE_ROLLOUT_CODE_DIR),
        handler: `index.${name}`,
        timeout: Duration.seconds(60),
        memorySize: 256,
        logGroup: new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.ONE_MONTH }),
      });
    const onEvent = handler('onEvent');
    const isComplete = handler('isComplete');

    onEvent.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [props.service.serviceArn] }));
    onEvent.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], resources: ['*'] }));
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecs:TagResource'], resources: [stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${props.taskDefinition.family}:*` })] }),
    );
    const passRoles = [props.taskDefinition.taskRole.roleArn, ...(props.taskDefinition.executionRole ? [props.taskDefinition.executionRole.roleArn] : [])];
    onEvent.addToRolePolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: passRoles }));
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: props.imageParameterName.replace(/^\//, '') })],
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:ListDeployments', 'codedeploy:CreateDeployment', 'codedeploy:GetDeployment'],
        resources: [props.deploymentGroup.deploymentGroupArn],
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:GetDeploymentConfig'],
        resources: [props.deploymentGroup.deploymentConfig.deploymentConfigArn],
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
        resources: [props.deploymentGroup.application.applicationArn],
      }),
    );
    isComplete.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['codedeploy:GetDeployment', 'codedeploy:StopDeployment'], resources: [props.deploymentGroup.deploymentGroupArn] }),
    );

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.seconds(30),
      totalTimeout: timeout.plus(WAITER_MARGIN),
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: {
        destination: new logs.LogGroup(this, 'WaiterLogs', { retention: logs.RetentionDays.ONE_MONTH }),
        level: sfn.LogLevel.ALL,
      },
    });
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::GatehouseServiceRollout',
      properties: {
        ClusterName: props.service.cluster.clusterName,
        ServiceName: props.service.serviceName,
        TaskDefinitionArn: props.taskDefinition.taskDefinitionArn,
        ContainerName: props.containerName,
        ContainerPort: String(props.containerPort),
        ApplicationName: props.deploymentGroup.application.applicationName,
        DeploymentGroupName: props.deploymentGroup.deploymentGroupName,
        ImageParameterName: props.imageParameterName,
        SmokeTestFunctionName: props.smokeTestFunction?.functionName ?? '',
        TimeoutSeconds: String(timeout.toSeconds()),
      },
    });
    // After the service and the group exist, so a first create finds the service running this revision.
    resource.node.addDependency(props.service, props.deploymentGroup);
    this.deploymentId = resource.getAttString('DeploymentId');

    Validations.of(this).acknowledge({ id: BASIC_EXECUTION_ROLE_FINDING, reason: 'The AWS managed basic execution policy only grants writing each function\'s own logs.' });
    const frameworkFunctions = provider.node
      .findAll()
      .filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction);
    acknowledgeInvokeWildcards(
      this,
      [onEvent.node.defaultChild as lambda.CfnFunction, isComplete.node.defaultChild as lambda.CfnFunction, ...frameworkFunctions],
      'The provider framework invokes its handlers by ARN; the `:*` suffix only adds their versions and aliases.',
    );
    Validations.of(onEvent).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecs:DescribeTaskDefinition and ecs:RegisterTaskDefinition have no resource-level permissions.',
    });
    Validations.of(onEvent).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:${stack.region}:${stack.account}:task-definition/${props.taskDefinition.family}:*]`,
        reason: 'Tags are copied onto the revisions of this one task definition family that a rollout registers.',
      },
    );

    Validations.of(provider).acknowledge(
      { id: 'AwsSolutions-L1', reason: 'The provider framework functions and their runtime are managed by aws-cdk-lib.' },
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'CloudWatch Logs delivery APIs for Step Functions logging have no resource-level permissions.' },
      { id: 'AwsSolutions-SF2', reason: 'The waiter state machine only polls isComplete; its steps are logged (level ALL), tracing adds nothing.' },
    );
  }
}
