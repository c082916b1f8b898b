import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';

/** How CodeDeploy shifts production traffic to the replacement task set. */
export type TrafficShifting = 'canary' | 'linear' | 'all-at-once';

const DEPLOYMENT_CONFIGS: Readonly<Record<TrafficShifting, codedeploy.IEcsDeploymentConfig>> = {
  canary: codedeploy.EcsDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  linear: codedeploy.EcsDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTES,
  'all-at-once': codedeploy.EcsDeploymentConfig.ALL_AT_ONCE,
};

/** Properties of a {@link BlueGreenDeployment}. */
export interface BlueGreenDeploymentProps {
  /** The service to deploy (deployment controller CODE_DEPLOY). */
  readonly service: ecs.IBaseService;
  /** Target group of the original task set. */
  readonly blueTargetGroup: elbv2.IApplicationTargetGroup;
  /** Target group of the replacement task set. */
  readonly greenTargetGroup: elbv2.IApplicationTargetGroup;
  /** The production listener. */
  readonly prodListener: elbv2.IApplicationListener;
  /** The test listener (traffic to the replacement before the shift). */
  readonly testListener: elbv2.IApplicationListener;
  /**
   * Traffic shifting: `canary` (10 % for 5 minutes, then the rest), `linear` (10 % every minute)
   * or `all-at-once`.
   *
   * @default 'canary'
   */
  readonly trafficShifting?: TrafficShifting;
  /**
   * Roll back when the target 5xx rate (percent of requests, per minute) reaches this.
   *
   * @default 5
   */
  readonly max5xxPercent?: number;
  /**
   * Roll back when the p99 target response time reaches this.
   *
   * @default Duration.seconds(2)
   */
  readonly maxP99Latency?: Duration;
  /**
   * How long the original task set is kept after traffic moved (quick manual rollback window).
   *
   * @default Duration.minutes(5)
   */
  readonly terminationWait?: Duration;
  /**
   * Name of the CodeDeploy application.
   *
   * @default - generated
   */
  readonly applicationName?: string;
}

/**
 * Blue/green releases of the data plane through CodeDeploy: an ECS application and deployment group
 * with both target groups, production and test listeners, canary shifting by default, and automatic
 * rollback on failure, on a stopped deployment and on alarms (target 5xx rate, p99 latency,
 * unhealthy hosts) watched on both target groups, because each deployment swaps their roles.
 */
export class BlueGreenDeployment extends Construct {
  /** The CodeDeploy application. */
  readonly application: codedeploy.EcsApplication;
  /** The deployment group releases target. */
  readonly deploymentGroup: codedeploy.EcsDeploymentGroup;
  /** The alarms that stop and roll back a deployment. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: BlueGreenDeploymentProps) {
    super(scope, id);
    const max5xx = props.max5xxPercent ?? 5;
    if (!(max5xx > 0 && max5xx <= 100)) throw new Error(`BlueGreenDeployment: max5xxPercent must be above 0 and at most 100, got ${max5xx}.`);
    const shifting = props.trafficShifting ?? 'canary';
    if (!(shifting in DEPLOYMENT_CONFIGS))
      throw new Error(`BlueGreenDeployment: trafficShifting must be one of canary, linear, all-at-once, got "${String(shifting)}".`);
    const maxP99 = props.maxP99Latency ?? Duration.seconds(2);

    const alarms: cloudwatch.Alarm[] = [];
    for (const [name, tg] of [['Blue', props.blueTargetGroup], ['Green', props.greenTargetGroup]] as const) {
      const errors = tg.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(1), statistic: 'Sum' });
      const requests = tg.metrics.requestCount({ period: Duration.minutes(1), statistic: 'Sum' });
      alarms.push(
        new cloudwatch.MathExpression({
          expression: 'IF(requests > 0, 100 * errors / requests, 0)',
          usingMetrics: { errors, requests },
          period: Duration.minutes(1),
          label: `${name} target 5xx %`,
        }).createAlarm(this, `${name}5xxRate`, {
          threshold: max5xx,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `Target 5xx rate of the ${name.toLowerCase()} target group; stops and rolls back a gateway deployment.`,
        }),
        tg.metrics
          .targetResponseTime({ period: Duration.minutes(1), statistic: 'p99' })
          .createAlarm(this, `${name}P99Latency`, {
            threshold: maxP99.toSeconds(),
            evaluationPeriods: 3,
            datapointsToAlarm: 3,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
            alarmDescription: `p99 target response time of the ${name.toLowerCase()} target group; stops and rolls back a gateway deployment.`,
          }),
        tg.metrics
          .unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' })
          .createAlarm(this, `${name}UnhealthyHosts`, {
            threshold: 1,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
            alarmDescription: `Unhealthy targets in the ${name.toLowerCase()} target group; stops and rolls back a gateway deployment.`,
          }),
      );
    }
    this.alarms = alarms;

    this.application = new codedeploy.EcsApplication(this, 'Application', { applicationName: props.applicationName });
    this.deploymentGroup = new codedeploy.EcsDeploymentGroup(this, 'DeploymentGroup', {
      application: this.application,
      service: props.service,
      deploymentConfig: DEPLOYMENT_CONFIGS[shifting],
      blueGreenDeploymentConfig: {
        blueTargetGroup: props.blueTargetGroup,
        greenTargetGroup: props.greenTargetGroup,
        listener: props.prodListener,
        testListener: props.testListener,
        terminationWaitTime: props.terminationWait ?? Duration.minutes(5),
      },
      alarms,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    Validations.of(this.deploymentGroup).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSCodeDeployRoleForECS]',
      reason: 'AWSCodeDeployRoleForECS is the AWS-maintained service role policy for CodeDeploy ECS blue/green deployments.',
    });
  }
}
