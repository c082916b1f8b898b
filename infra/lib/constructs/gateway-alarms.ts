/**
 * Alarms on the gateway's own metrics (shipped to CloudWatch by the telemetry collector): the fleet
 * (lagging or quiet data planes, counted by the control plane: one alarm, not one per task), config
 * sync errors, drop-guard refusals, data planes serving from the last-known-good file or S3 too long,
 * rate-limit degradation, the 5xx ratio the gateway answers, p99 latency, and the S3 backup lag.
 * docs/RUNBOOK.md, "Alarms", says what each means and what to do; the region's alarm topic pages.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { alarmOf, type AlarmShape } from './alarm-shape';
import { definedOnly } from './defined-only';

/** Thresholds of the gateway alarms (docs/RUNBOOK.md, "Alarms"). */
export const GATEWAY_ALARM_THRESHOLDS = {
  /** Lagging plus quiet data planes, 3 minutes running. */
  unhealthyNodes: 1,
  /** Store, checksum, invalid, older or S3 sync errors per minute, 5 minutes running (one poll failing now and then is normal). */
  syncErrorsPerMinute: 1,
  /** Minutes a data plane may serve from the last-known-good file or S3 before it pages. */
  fallbackSourceMinutes: 10,
  /** Rate-limit decisions taken without Redis per minute, 5 minutes running. */
  rateLimitDegradedPerMinute: 10,
  /** Share of requests the gateway answered 5xx, 5 minutes running. */
  serverErrorRatio: 0.05,
  /** p99 of the targets' response time (seconds, ALB), 5 minutes running. */
  p99LatencySeconds: 2,
  /** Age of the oldest config version not yet in S3 (seconds), 5 minutes running. */
  backupLagSeconds: 300,
} as const;

/** The gateway alarms' thresholds, by the names of `GATEWAY_ALARM_THRESHOLDS` (deployment config `alarmThresholds`). */
export type GatewayAlarmThresholds = Record<keyof typeof GATEWAY_ALARM_THRESHOLDS, number>;

/** Sync error reasons that mean the config path is broken (`listen` alone is a lost push connection, covered by the poll). */
export const SYNC_ERROR_REASONS = ['store', 'checksum', 'invalid', 'older', 's3', 'lkg-write'] as const;
/** Degradation reasons of the rate limiter (gatehouse_ratelimit_degraded_total). */
export const RATE_LIMIT_DEGRADED_REASONS = ['timeout', 'error', 'breaker-open'] as const;
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Properties of a {@link GatewayAlarms}. */
export interface GatewayAlarmsProps {
  /** The CloudWatch namespace the telemetry collector writes to. */
  readonly namespace: string;
  /** The blue and green target groups (p99 latency is the load balancer's view of the targets). */
  readonly targetGroups: readonly elbv2.IApplicationTargetGroup[];
  /**
   * The region runs the control plane: add the fleet and backup alarms.
   *
   * @default false
   */
  readonly controlPlane?: boolean;
  /**
   * Thresholds that differ from the defaults; a value left out keeps its default.
   *
   * @default GATEWAY_ALARM_THRESHOLDS
   */
  readonly thresholds?: Partial<GatewayAlarmThresholds>;
}


const minute = Duration.minutes(1);

export class GatewayAlarms extends Construct {
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: GatewayAlarmsProps) {
    super(scope, id);
    const t: GatewayAlarmThresholds = { ...GATEWAY_ALARM_THRESHOLDS, ...definedOnly(props.thresholds) };
    const alarms: cloudwatch.Alarm[] = [];
    const metric = (metricName: string, statistic: string, dimensionsMap: Record<string, string> = {}) =>
      new cloudwatch.Metric({ namespace: props.namespace, metricName, dimensionsMap, statistic, period: minute });
    /** The sum of one metric over several values of one dimension (missing values count 0). */
    const sumOver = (metricName: string, dimension: string, values: readonly string[], statistic: string, label: string) => {
      const usingMetrics = Object.fromEntries(values.map((v, i) => [`m${i}`, metric(metricName, statistic, { [dimension]: v })]));
      return new cloudwatch.MathExpression({ expression: Object.keys(usingMetrics).map((k) => `FILL(${k}, 0)`).join(' + '), usingMetrics, period: minute, label });
    };
    const add = (name: string, m: cloudwatch.IMetric, shape: AlarmShape) =>
      alarms.push(alarmOf(this, name, m, { ...shape, description: `${shape.description} See docs/RUNBOOK.md, "Alarms".` }));

    add('SyncErrors', sumOver('gatehouse_config_sync_errors_total', 'reason', SYNC_ERROR_REASONS, 'Sum', 'Config sync errors'), {
      threshold: t.syncErrorsPerMinute,
      periods: 5,
      description: 'Data planes keep failing to sync config (store unreachable, or versions refused as corrupt, invalid or older).',
    });
    add('DropGuardRefusals', metric('gatehouse_config_sync_errors_total', 'Sum', { reason: 'drop-guard' }), {
      threshold: 1,
      periods: 1,
      description: 'A data plane refused a config version that removes most routes (drop guard); it keeps the previous version.',
    });
    // Maximum over every task's datapoints: 1 as long as any task serves from that source.
    add('ServingFromFallback', sumOver('gatehouse_config_sync_source', 'source', ['last-known-good', 's3'], 'Maximum', 'Data planes on last-known-good or S3'), {
      threshold: 1,
      periods: t.fallbackSourceMinutes,
      description: `A data plane has served from its last-known-good file or the S3 backup for ${t.fallbackSourceMinutes} minutes: it cannot read the config store.`,
    });
    add('RateLimitDegraded', sumOver('gatehouse_ratelimit_degraded_total', 'reason', RATE_LIMIT_DEGRADED_REASONS, 'Sum', 'Rate-limit decisions without Redis'), {
      threshold: t.rateLimitDegradedPerMinute,
      periods: 5,
      description: 'Rate limits are decided per node (or denied) because Redis is slow, failing or cut off by the breaker.',
    });
    const byClass = Object.fromEntries(STATUS_CLASSES.map((c) => [`c${c[0]}`, metric('gatehouse_requests_total', 'Sum', { status_class: c })]));
    add(
      'ServerErrorRatio',
      new cloudwatch.MathExpression({
        expression: `FILL(c5, 0) / (${Object.keys(byClass).map((k) => `FILL(${k}, 0)`).join(' + ')} + 0.000001)`,
        usingMetrics: byClass,
        period: minute,
        label: 'Share of requests answered 5xx',
      }),
      { threshold: t.serverErrorRatio, periods: 5, description: `More than ${t.serverErrorRatio * 100} % of requests answered 5xx by the gateway (its own errors and upstream 5xx).` },
    );
    const p99 = Object.fromEntries(props.targetGroups.map((tg, i) => [`p${i}`, tg.metrics.targetResponseTime({ period: minute, statistic: 'p99' })]));
    add('P99Latency', new cloudwatch.MathExpression({ expression: `MAX([${Object.keys(p99).join(', ')}])`, usingMetrics: p99, period: minute, label: 'p99 target response time' }), {
      threshold: t.p99LatencySeconds,
      periods: 5,
      description: `The p99 response time of the gateway tasks is above ${t.p99LatencySeconds} s.`,
    });
    if (props.controlPlane) {
      add('UnhealthyNodes', sumOver('gatehouse_fleet_nodes', 'state', ['lagging', 'quiet'], 'Maximum', 'Lagging or quiet data planes'), {
        threshold: t.unhealthyNodes,
        periods: 3,
        description: 'Data planes lag behind the config version (GET /admin/v1/nodes says which) or have stopped sending heartbeats.',
      });
      add('BackupLag', metric('gatehouse_config_backup_lag_seconds', 'Maximum'), {
        threshold: t.backupLagSeconds,
        periods: 5,
        description: `A committed config version has not reached the S3 backup for ${t.backupLagSeconds / 60} minutes.`,
      });
    }
    this.alarms = alarms;
  }
}

/** Dashboard widgets of the gateway's own metrics. */
export function gatewayWidgets(namespace: string, controlPlane: boolean): cloudwatch.IWidget[] {
  const m = (metricName: string, statistic: string, dimensionsMap: Record<string, string> = {}, label?: string) =>
    new cloudwatch.Metric({ namespace, metricName, dimensionsMap, statistic, period: minute, label });
  const widgets: cloudwatch.IWidget[] = [
    new cloudwatch.GraphWidget({ title: 'Gateway requests by status class', left: STATUS_CLASSES.map((c) => m('gatehouse_requests_total', 'Sum', { status_class: c }, c)), width: 12 }),
    new cloudwatch.GraphWidget({
      title: 'Gateway latency (average: total and upstream)',
      left: [m('gatehouse_request_duration_seconds', 'Average', {}, 'total'), m('gatehouse_upstream_duration_seconds', 'Average', {}, 'upstream')],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Config: lowest and highest version, sync errors',
      left: [m('gatehouse_config_version', 'Minimum', {}, 'lowest'), m('gatehouse_config_version', 'Maximum', {}, 'highest')],
      right: [...SYNC_ERROR_REASONS, 'drop-guard', 'listen'].map((r) => m('gatehouse_config_sync_errors_total', 'Sum', { reason: r }, r)),
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Config source, rate-limit degradation',
      left: ['store', 'last-known-good', 's3'].map((s) => m('gatehouse_config_sync_source', 'Sum', { source: s }, `tasks on ${s}`)),
      right: RATE_LIMIT_DEGRADED_REASONS.map((r) => m('gatehouse_ratelimit_degraded_total', 'Sum', { reason: r }, r)),
      width: 12,
    }),
  ];
  if (controlPlane)
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Fleet (heartbeats) and backup lag',
        left: ['ok', 'lagging', 'quiet'].map((s) => m('gatehouse_fleet_nodes', 'Maximum', { state: s }, s)),
        right: [m('gatehouse_config_backup_lag_seconds', 'Maximum', {}, 'backup lag (s)')],
        width: 24,
      }),
    );
  return widgets;
}
