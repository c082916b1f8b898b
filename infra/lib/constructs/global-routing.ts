import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { signalOnly } from './alarm-topic';

/** Properties of a {@link GlobalRouting}. */
export interface GlobalRoutingProps {
  /** The region's public load balancer. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /**
   * The target groups that carry production traffic in turn (blue and green: CodeDeploy swaps them);
   * the region is healthy while any of them has a healthy gateway task.
   */
  readonly targetGroups: readonly elbv2.IApplicationTargetGroup[];
  /** Hosted zone id. */
  readonly hostedZoneId: string;
  /** Hosted zone name, e.g. `example.com`. */
  readonly zoneName: string;
  /**
   * The record clients resolve, e.g. `api.example.com`.
   *
   * @default - the zone apex
   */
  readonly recordName?: string;
}

/**
 * This region's share of global steering: a Route 53 latency alias record to the region's load
 * balancer, tied to a health check of the gateway tasks themselves. Every region creates its own
 * record (set identifier = region) in its own stack, so no region references another.
 *
 * The health check is calculated from one CloudWatch alarm health check per target group (healthy
 * targets ≥ 1, as the load balancer's own `/readyz` checks see them). The alias does not evaluate
 * target health: the idle green target group is empty between deployments, which would make every
 * region unhealthy, and Route 53 treats "all unhealthy" as "all healthy" (Route 53 developer guide,
 * "How Amazon Route 53 chooses records when health checking is configured"). A fixed-response rule of
 * the load balancer is not probed either: it answers 200 with no task running.
 */
export class GlobalRouting extends Construct {
  /** The calculated health check the record uses. */
  readonly healthCheck: route53.HealthCheck;
  /** The latency record. */
  readonly record: route53.ARecord;

  constructor(scope: Construct, id: string, props: GlobalRoutingProps) {
    super(scope, id);
    const recordName = props.recordName ?? props.zoneName;
    if (recordName !== props.zoneName && !recordName.endsWith(`.${props.zoneName}`))
      throw new Error(`GlobalRouting: recordName "${recordName}" is not inside the zone "${props.zoneName}".`);
    if (props.targetGroups.length === 0) throw new Error('GlobalRouting: give at least one target group whose healthy targets make the region healthy.');
    const region = Stack.of(this).region;

    const children = props.targetGroups.map((group, i) => {
      // Route 53 alarm health checks need a plain metric (no math) with a standard period.
      const alarm = signalOnly(new cloudwatch.Alarm(this, `NoHealthyTargets${i}`, {
        metric: group.metrics.healthyHostCount({ statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription: 'No healthy gateway task in this target group (Route 53 failover signal; never paged).',
      }));
      return new route53.HealthCheck(this, `TargetGroupHealth${i}`, {
        type: route53.HealthCheckType.CLOUDWATCH_METRIC,
        alarmIdentifier: { name: alarm.alarmName, region },
        insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.UNHEALTHY,
      });
    });
    this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
      type: route53.HealthCheckType.CALCULATED,
      childHealthChecks: children,
      healthThreshold: 1,
    });
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.hostedZoneId, zoneName: props.zoneName });
    this.record = new route53.ARecord(this, 'LatencyRecord', {
      zone,
      recordName,
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(props.loadBalancer, { evaluateTargetHealth: false })),
      region,
      setIdentifier: region,
      healthCheck: this.healthCheck,
    });
    new CfnOutput(this, 'RecordName', { value: recordName, description: 'Latency-routed name of the gateway' });
  }
}
