import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { cacheNodeMetrics, databaseMetric } from './data-tier-metrics';

/** Properties of a {@link RegionDashboard}. */
export interface RegionDashboardProps {
  /** Dashboard name. */
  readonly dashboardName: string;
  /** The public load balancer. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The data plane service. */
  readonly service: ecs.FargateService;
  /** Blue and green target groups. */
  readonly targetGroups: readonly elbv2.IApplicationTargetGroup[];
  /**
   * The rate-limit cache replication group id.
   *
   * @default - no cache widgets
   */
  readonly cacheReplicationGroupId?: string;
  /**
   * Nodes in the cache's replication group (primary and replicas): its metrics are per node.
   *
   * @default 2
   */
  readonly cacheNodeCount?: number;
  /**
   * The config database (or replica) instance identifier.
   *
   * @default - no database widgets
   */
  readonly databaseInstanceIdentifier?: string;
  /**
   * Alarms to show (deployment rollback alarms and the region's paging alarms).
   *
   * @default - none
   */
  readonly alarms?: readonly cloudwatch.IAlarm[];
}

const minute = Duration.minutes(1);

/** One CloudWatch dashboard per region: traffic, errors, latency, task health, cache and database. */
export class RegionDashboard extends Construct {
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RegionDashboardProps) {
    super(scope, id);
    const lb = props.loadBalancer.metrics;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName, defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Requests and errors',
        left: [lb.requestCount({ period: minute })],
        right: [lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: minute }), ...props.targetGroups.map((tg) => tg.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: minute }))],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Target response time (p50, p99)',
        left: props.targetGroups.flatMap((tg) => [
          tg.metrics.targetResponseTime({ period: minute, statistic: 'p50' }),
          tg.metrics.targetResponseTime({ period: minute, statistic: 'p99' }),
        ]),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Healthy / unhealthy targets',
        left: props.targetGroups.map((tg) => tg.metrics.healthyHostCount({ period: minute })),
        right: props.targetGroups.map((tg) => tg.metrics.unhealthyHostCount({ period: minute })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Data plane CPU and memory',
        left: [props.service.metricCpuUtilization({ period: minute }), props.service.metricMemoryUtilization({ period: minute })],
        width: 12,
      }),
    );
    const cacheGroup = props.cacheReplicationGroupId;
    const cacheMetrics = (metricName: string) => cacheNodeMetrics(cacheGroup!, props.cacheNodeCount ?? 2, metricName);
    if (cacheGroup)
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Rate-limit cache',
          left: [...cacheMetrics('EngineCPUUtilization'), ...cacheMetrics('DatabaseMemoryUsagePercentage')],
          right: [...cacheMetrics('CurrConnections'), ...cacheMetrics('ReplicationLag')],
          width: 12,
        }),
      );
    const db = props.databaseInstanceIdentifier;
    if (db)
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Config database',
          left: [databaseMetric(db, 'CPUUtilization')],
          right: [databaseMetric(db, 'DatabaseConnections'), databaseMetric(db, 'ReplicaLag')],
          width: 12,
        }),
      );
    if (props.alarms?.length)
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }));
  }
}
