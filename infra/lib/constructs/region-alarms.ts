import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { cacheNodeMetrics, databaseMetric } from './data-tier-metrics';
import { alarmOf, type AlarmShape } from './alarm-shape';
import { definedOnly } from './defined-only';

/** Thresholds of the region's paging alarms (docs/RUNBOOK.md, "Alarms"). */
export const ALARM_THRESHOLDS = {
  /** Load balancer 5xx answers (no target reached) per minute, 3 minutes running. */
  elb5xxPerMinute: 10,
  /** Config database CPU percent, averaged over 15 minutes. */
  databaseCpuPercent: 80,
  /** Free storage below this share of the allocated storage. */
  databaseFreeStorageFraction: 0.1,
  /** Replica lag in seconds, 5 minutes running (secondaries see config changes this much later). */
  replicaLagSeconds: 60,
  /** Redis engine CPU percent of the busiest node, 5 minutes running. */
  cacheEngineCpuPercent: 80,
  /** Redis memory use percent of the fullest node, 3 minutes running. */
  cacheMemoryPercent: 80,
  /** Redis replication lag in seconds of the slowest replica, 3 minutes running. */
  cacheReplicationLagSeconds: 5,
} as const;

/** The region alarms' thresholds, by the names of `ALARM_THRESHOLDS` (deployment config `alarmThresholds`). */
export type RegionAlarmThresholds = Record<keyof typeof ALARM_THRESHOLDS, number>;

/** Properties of a {@link RegionAlarms}. */
export interface RegionAlarmsProps {
  /** The public load balancer. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The target groups that carry production traffic in turn (blue and green). */
  readonly targetGroups: readonly elbv2.IApplicationTargetGroup[];
  /** The data plane's minimum task count: fewer healthy targets than this pages. */
  readonly minHealthyTasks: number;
  /**
   * The rate-limit cache's replication group id.
   *
   * @default - no cache alarms
   */
  readonly cacheReplicationGroupId?: string;
  /**
   * Nodes in the cache's replication group (primary and replicas).
   *
   * @default 2
   */
  readonly cacheNodeCount?: number;
  /**
   * The config database primary: its identifier and allocated storage.
   *
   * @default - no primary database alarms
   */
  readonly database?: { readonly instanceIdentifier: string; readonly allocatedStorageGiB: number };
  /**
   * The cross-region read replica's identifier.
   *
   * @default - no replica lag alarm
   */
  readonly replicaInstanceIdentifier?: string;
  /**
   * Thresholds that differ from the defaults; a value left out keeps its default.
   *
   * @default ALARM_THRESHOLDS
   */
  readonly thresholds?: Partial<RegionAlarmThresholds>;
}


const minute = Duration.minutes(1);

/**
 * The alarms that page for a region (beyond the deployment rollback alarms): load balancer 5xx,
 * healthy targets below the minimum task count, Redis CPU, memory, evictions and replication lag,
 * the primary database's CPU and free storage, and a replica's lag. Each says in its description
 * what it means; docs/RUNBOOK.md says what to do.
 */
export class RegionAlarms extends Construct {
  /** Every alarm this construct created. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: RegionAlarmsProps) {
    super(scope, id);
    if (!(Number.isInteger(props.minHealthyTasks) && props.minHealthyTasks >= 1))
      throw new Error(`RegionAlarms: minHealthyTasks must be a positive integer, got ${props.minHealthyTasks}.`);
    if (props.database && props.replicaInstanceIdentifier)
      throw new Error('RegionAlarms: a region has either the database primary or a read replica; give database or replicaInstanceIdentifier, not both.');
    const alarms: cloudwatch.Alarm[] = [];
    const add = (name: string, metric: cloudwatch.IMetric, shape: AlarmShape) => alarms.push(alarmOf(this, name, metric, shape));
    const t: RegionAlarmThresholds = { ...ALARM_THRESHOLDS, ...definedOnly(props.thresholds) };

    // A count, not a rate: RequestCount leaves out requests rejected before a target is chosen.
    add('Elb5xx', props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: minute, statistic: 'Sum' }), {
      threshold: t.elb5xxPerMinute,
      periods: 3,
      description: 'The load balancer itself answers 5xx (no healthy target, or targets refuse connections or time out). See docs/RUNBOOK.md, "Alarms".',
    });
    const healthy = Object.fromEntries(props.targetGroups.map((tg, i) => [`h${i}`, tg.metrics.healthyHostCount({ period: minute, statistic: 'Minimum' })]));
    add('HealthyHostsBelowMinimum', new cloudwatch.MathExpression({ expression: Object.keys(healthy).map((k) => `FILL(${k}, 0)`).join(' + '), usingMetrics: healthy, period: minute, label: 'Healthy gateway tasks' }), {
      threshold: props.minHealthyTasks,
      periods: 3,
      below: true,
      missing: cloudwatch.TreatMissingData.BREACHING,
      description: `Fewer healthy gateway tasks than the minimum (${props.minHealthyTasks}) behind the load balancer. See docs/RUNBOOK.md, "Alarms".`,
    });

    if (props.cacheReplicationGroupId) {
      const busiest = (metricName: string, statistic: string) => {
        const nodes = cacheNodeMetrics(props.cacheReplicationGroupId!, props.cacheNodeCount ?? 2, metricName, { statistic });
        const usingMetrics = Object.fromEntries(nodes.map((m, i) => [`n${i}`, m]));
        return new cloudwatch.MathExpression({ expression: `MAX([${Object.keys(usingMetrics).join(', ')}])`, usingMetrics, period: minute, label: `${metricName} (busiest node)` });
      };
      add('CacheEngineCpu', busiest('EngineCPUUtilization', 'Average'), {
        threshold: t.cacheEngineCpuPercent,
        periods: 5,
        description: 'The Redis engine thread of a rate-limit cache node is busy; limits slow down. See docs/RUNBOOK.md, "Alarms".',
      });
      add('CacheMemory', busiest('DatabaseMemoryUsagePercentage', 'Maximum'), {
        threshold: t.cacheMemoryPercent,
        periods: 3,
        description: 'A rate-limit cache node is filling its memory; evictions (lost counters) follow. See docs/RUNBOOK.md, "Alarms".',
      });
      add('CacheEvictions', busiest('Evictions', 'Sum'), {
        threshold: 1,
        periods: 1,
        description: 'The rate-limit cache evicted keys: some counters were dropped and those clients were briefly not limited. See docs/RUNBOOK.md, "Alarms".',
      });
      add('CacheReplicationLag', busiest('ReplicationLag', 'Maximum'), {
        threshold: t.cacheReplicationLagSeconds,
        periods: 3,
        description: 'A rate-limit cache replica lags its primary; a failover now would lose recent counts. See docs/RUNBOOK.md, "Alarms".',
      });
    }

    if (props.database) {
      const db = props.database.instanceIdentifier;
      add('DatabaseCpu', databaseMetric(db, 'CPUUtilization', { period: Duration.minutes(5) }), {
        threshold: t.databaseCpuPercent,
        periods: 3,
        description: 'The config database primary is CPU bound; admin writes and config sync slow down. See docs/RUNBOOK.md, "Alarms".',
      });
      add('DatabaseFreeStorage', databaseMetric(db, 'FreeStorageSpace', { period: Duration.minutes(5), statistic: 'Minimum' }), {
        threshold: Math.round(props.database.allocatedStorageGiB * 2 ** 30 * t.databaseFreeStorageFraction),
        periods: 1,
        below: true,
        description: `The config database primary has less than ${t.databaseFreeStorageFraction * 100} % of its allocated storage free. See docs/RUNBOOK.md, "Alarms".`,
      });
    }
    if (props.replicaInstanceIdentifier)
      // A replica that reports no lag is not replicating (or not running): missing data pages too.
      add('ReplicaLag', databaseMetric(props.replicaInstanceIdentifier, 'ReplicaLag', { statistic: 'Maximum' }), {
        threshold: t.replicaLagSeconds,
        periods: 5,
        missing: cloudwatch.TreatMissingData.BREACHING,
        description: 'This region\'s config database replica lags the primary: its data planes see config changes late. See docs/RUNBOOK.md, "Alarms".',
      });
    this.alarms = alarms;
  }
}
