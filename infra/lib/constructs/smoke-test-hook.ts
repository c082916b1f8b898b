import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BASIC_EXECUTION_ROLE_FINDING } from './acknowledge';

/** Where the release engineer's hook code lives (infra contract). */
export const SMOKE_TEST_CODE_DIR = path.join(__dirname, '..', '..', 'lambda', 'smoke-test');

/** Properties of a {@link SmokeTestHook}. */
export interface SmokeTestHookProps {
  /** The VPC; the function runs in its private subnets. */
  readonly vpc: ec2.IVpc;
  /** URL of the load balancer's test listener, e.g. `http://<alb dns>:9000`. */
  readonly testListenerUrl: string;
  /** ARN of the test listener; its forward action names the target group under test. */
  readonly testListenerArn: string;
  /** Target group ARNs; the hook checks whichever is behind the test listener. */
  readonly blueTargetGroupArn: string;
  /** See `blueTargetGroupArn`. */
  readonly greenTargetGroupArn: string;
  /** The tasks' security group: the hook may reach their status port. */
  readonly targetSecurityGroup: ec2.ISecurityGroup;
  /** The gateway's status port. */
  readonly statusPort: number;
  /**
   * A request through the test listener that must answer below 500.
   *
   * @default '/'
   */
  readonly canaryPath?: string;
  /**
   * Send the canary request (HTTP/1.1) through the test listener. Off for HTTP2 and GRPC target
   * groups, which the ALB refuses HTTP/1.1 requests for (HTTP 464): the green tasks' `/readyz` is
   * then the whole check.
   *
   * @default true
   */
  readonly canary?: boolean;
  /**
   * Per-request timeout of the hook.
   *
   * @default Duration.seconds(5)
   */
  readonly requestTimeout?: Duration;
  /**
   * The function's code.
   *
   * @default lambda.Code.fromAsset('infra/lambda/smoke-test')
   */
  readonly code?: lambda.Code;
  /**
   * Function name.
   *
   * @default - generated
   */
  readonly functionName?: string;
}

/**
 * The AfterAllowTestTraffic hook of blue/green deployments: a Lambda in the VPC that checks every
 * replacement task's `/readyz` and one canary request through the test listener, then reports the
 * verdict to CodeDeploy. Its environment follows the infra contract.
 */
export class SmokeTestHook extends Construct {
  /** The function. */
  readonly function: lambda.Function;
  /** Its security group. */
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: SmokeTestHookProps) {
    super(scope, id);
    const timeout = props.requestTimeout ?? Duration.seconds(5);
    if (timeout.toSeconds() > 60) throw new Error(`SmokeTestHook: requestTimeout must be at most 60 seconds, got ${timeout.toSeconds()}.`);
    const canaryPath = props.canaryPath ?? '/';
    if (!canaryPath.startsWith('/')) throw new Error(`SmokeTestHook: canaryPath must start with "/", got "${canaryPath}".`);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'Gatehouse smoke-test hook' });
    props.targetSecurityGroup.connections.allowFrom(this.securityGroup, ec2.Port.tcp(props.statusPort), 'Smoke test of replacement tasks');

    this.function = new lambda.Function(this, 'Function', {
      functionName: props.functionName,
      runtime: lambda.Runtime.NODEJS_24_X,
      code: props.code ?? lambda.Code.fromAsset(SMOKE_TEST_CODE_DIR),
      handler: 'index.handler',
      timeout: Duration.minutes(5),
      memorySize: 256,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
      environment: {
        TEST_LISTENER_URL: props.testListenerUrl,
        TEST_LISTENER_ARN: props.testListenerArn,
        CANARY_PATH: canaryPath,
        ...(props.canary === false ? { CANARY: 'off' } : {}),
        STATUS_PORT: String(props.statusPort),
        GREEN_TARGET_GROUP_ARN: props.greenTargetGroupArn,
        BLUE_TARGET_GROUP_ARN: props.blueTargetGroupArn,
        TIMEOUT_MS: String(timeout.toMilliseconds()),
      },
    });
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'], resources: ['*'] }));
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeListeners'], resources: ['*'] }),
    );

    Validations.of(this.function).acknowledge(
      { id: BASIC_EXECUTION_ROLE_FINDING, reason: 'The AWS managed basic execution policy only grants writing the function\'s own logs.' },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'The AWS managed VPC access policy only manages the function\'s own network interfaces.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The ELB Describe* calls have no resource-level permissions; the hook status call is left unscoped as in AWS\'s hook examples, since a wrong scope would fail every deployment.',
      },
    );
  }
}
