/**
 * The kit's telemetry: the ADOT collector sidecar (generated config: Prometheus scrape of the gateway's
 * status port → CloudWatch EMF; OTLP/HTTP → X-Ray), the heartbeat permissions of the fleet view, and
 * the gateway alarms on the regional stacks, each with its metric, threshold and the SNS topic.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { GATEWAY_ALARM_THRESHOLDS, COLLECTOR_IMAGE, GATEWAY_STATUS_PORT, HEARTBEAT_PREFIX, OTLP_HTTP_PORT } from '../../../infra/lib';
import { SYNC_ERROR_REASONS } from '../../../infra/lib/constructs/gateway-alarms';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildGatehouse, loadDeploymentConfig } from '../../../infra/lib';
import { resourcesOf } from './helpers';

/** The default deployment (cdk.json), synthesised once. */
function buildKitStacks(): { primary: Template; secondary: Template; primaryBase: Template } {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context } });
  const stacks = buildGatehouse(app, loadDeploymentConfig(cdkJson.context.gatehouse), { imageUri: 'public.ecr.aws/example/gatehouse:1.0.0' });
  return {
    primary: Template.fromStack(stacks.regional['us-east-1']!),
    secondary: Template.fromStack(stacks.regional['us-west-2']!),
    primaryBase: Template.fromStack(stacks.base['us-east-1']!),
  };
}

type Container = { Name: string; Image: unknown; Essential?: boolean; Environment?: { Name: string; Value: unknown }[]; Command?: string[] };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

const containers = (t: Template): Container[] =>
  resourcesOf(t, 'AWS::ECS::TaskDefinition').flatMap(([, r]) => (r.Properties!.ContainerDefinitions as Container[]) ?? []);
const envOf = (c: Container, name: string) => c.Environment?.find((e) => e.Name === name)?.Value;
const statements = (t: Template): Statement[] =>
  resourcesOf(t, 'AWS::IAM::Policy').flatMap(([, r]) => (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
const actions = (s: Statement) => [s.Action].flat();
const alarm = (t: Template, id: string) => {
  const found = resourcesOf(t, 'AWS::CloudWatch::Alarm').filter(([logicalId]) => logicalId.startsWith(`GatewayAlarms${id}`));
  expect(found).toHaveLength(1);
  return found[0]![1].Properties as Record<string, unknown> & { Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions?: { Name: string; Value: string }[] }; Stat: string } }[] };
};
const metricNames = (a: ReturnType<typeof alarm>) => [...new Set((a.Metrics ?? []).filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric.MetricName))];

describe('kit telemetry', () => {
  let primary: Template;
  let secondary: Template;
  let primaryBase: Template;

  beforeAll(() => {
    ({ primary, secondary, primaryBase } = buildKitStacks());
  });

  describe('collector sidecar', () => {
    // ADOT on ECS: https://aws-otel.github.io/docs/setup/ecs (sidecar, config from AOT_CONFIG_CONTENT).
    test('runs the pinned ADOT image beside the gateway, not essential, config from the environment', () => {
      const collectors = containers(primary).filter((c) => c.Name === 'telemetry-collector');
      expect(collectors).toHaveLength(2); // data plane and control plane
      for (const c of collectors) {
        expect(c.Image).toBe(COLLECTOR_IMAGE);
        expect(c.Essential).toBe(false);
        expect(c.Command).toEqual(['--config=env:AOT_CONFIG_CONTENT']);
      }
      expect(containers(secondary).filter((c) => c.Name === 'telemetry-collector')).toHaveLength(1);
    });

    test('the data plane collector scrapes the status port into EMF and relays OTLP/HTTP traces to X-Ray', () => {
      const dataPlane = containers(primary).find((c) => c.Name === 'telemetry-collector' && String(envOf(c, 'AOT_CONFIG_CONTENT')).includes('otlp'))!;
      const config = parse(String(envOf(dataPlane, 'AOT_CONFIG_CONTENT'))) as Record<string, any>;
      expect(config.receivers.prometheus.config.scrape_configs[0]).toMatchObject({ metrics_path: '/metrics', static_configs: [{ targets: [`127.0.0.1:${GATEWAY_STATUS_PORT}`] }] });
      expect(config.receivers.otlp.protocols.http.endpoint).toBe(`127.0.0.1:${OTLP_HTTP_PORT}`);
      expect(config.service.pipelines).toEqual({
        metrics: { receivers: ['prometheus'], processors: ['batch/metrics'], exporters: ['awsemf'] },
        traces: { receivers: ['otlp'], processors: ['batch/traces'], exporters: ['awsxray'] },
      });
      expect(config.exporters.awsemf).toMatchObject({ namespace: 'Gatehouse/Gateway', dimension_rollup_option: 'NoDimensionRollup' });
      const selected = (config.exporters.awsemf.metric_declarations as { metric_name_selectors: string[]; dimensions: string[][] }[]).flatMap((d) => d.metric_name_selectors);
      // Every metric an alarm reads is shipped.
      for (const name of ['gatehouse_requests_total', 'gatehouse_config_sync_errors_total', 'gatehouse_config_sync_source', 'gatehouse_ratelimit_degraded_total']) expect(selected).toContain(`^${name}`);
      // The collector would read a `$` as a variable reference.
      expect(String(envOf(dataPlane, 'AOT_CONFIG_CONTENT'))).not.toContain('$');
      // The gateway traces to the sidecar (its default endpoint), sampled.
      const gateway = containers(primary).find((c) => c.Name === 'gateway')!;
      expect([envOf(gateway, 'GATEHOUSE_TRACING'), envOf(gateway, 'GATEHOUSE_TRACING_SAMPLE_RATIO')]).toEqual(['true', '0.05']);
    });

    test('the control plane collector ships the fleet counts and the backup lag, and no traces', () => {
      const cp = containers(primary).find((c) => c.Name === 'telemetry-collector' && !String(envOf(c, 'AOT_CONFIG_CONTENT')).includes('otlp'))!;
      const config = parse(String(envOf(cp, 'AOT_CONFIG_CONTENT'))) as Record<string, any>;
      expect(config.exporters.awsemf.metric_declarations).toEqual([
        { dimensions: [['state']], metric_name_selectors: ['^gatehouse_fleet_nodes'] },
        { dimensions: [[]], metric_name_selectors: ['^gatehouse_config_backup_lag_seconds', '^gatehouse_config_backup_lag_versions', '^gatehouse_config_store_up'] },
      ]);
      expect(config.service.pipelines.traces).toBeUndefined();
    });

    // X-Ray API permissions have no resource-level scoping: https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html
    test('the task roles may write EMF to their log group and traces to X-Ray', () => {
      const all = statements(primary);
      expect(all.some((s) => actions(s).includes('xray:PutTraceSegments') && s.Resource === '*')).toBe(true);
      expect(all.some((s) => actions(s).includes('logs:PutLogEvents'))).toBe(true);
      primary.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/gatehouse/data-plane-telemetry' });
    });
  });

  describe('heartbeats (fleet view)', () => {
    test('every data plane reports to the primary region\'s backup bucket, and says its region', () => {
      for (const [t, region] of [
        [primary, 'us-east-1'],
        [secondary, 'us-west-2'],
      ] as const) {
        const gateway = containers(t).find((c) => c.Name === 'gateway')!;
        expect(envOf(gateway, 'GATEHOUSE_HEARTBEAT_BUCKET')).toBe('gatehouse-backup-111111111111-us-east-1');
        expect(envOf(gateway, 'GATEHOUSE_HEARTBEAT_REGION')).toBe('us-east-1');
        expect(envOf(gateway, 'GATEHOUSE_REGION')).toBe(region);
      }
    });

    // Object-level permissions are scoped by key prefix in the resource ARN:
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
    test('a secondary task may put objects under the heartbeat prefix of the primary bucket only', () => {
      const onPrimaryBucket = statements(secondary).filter((s) => actions(s).includes('s3:PutObject') && JSON.stringify(s.Resource).includes('gatehouse-backup-111111111111-us-east-1'));
      expect(onPrimaryBucket).toHaveLength(1);
      expect(JSON.stringify(onPrimaryBucket[0]!.Resource)).toContain(`:s3:::gatehouse-backup-111111111111-us-east-1/${HEARTBEAT_PREFIX}/*`);
      // The bucket's key is used only through S3 in the primary region, found by its alias.
      const kms = statements(secondary).filter((s) => actions(s).includes('kms:GenerateDataKey') && JSON.stringify(s.Condition ?? {}).includes('s3.us-east-1.amazonaws.com'));
      expect(kms.map((s) => s.Condition)).toEqual([{ 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/gatehouse-backup'] }, StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } }]);
    });

    test('old heartbeat versions expire in the versioned primary bucket', () => {
      primaryBase.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'expire-heartbeats', Prefix: `${HEARTBEAT_PREFIX}/`, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, ExpirationInDays: 7 })]) },
      });
    });
  });

  describe('gateway alarms', () => {
    const t = GATEWAY_ALARM_THRESHOLDS;

    test('lagging or quiet nodes: one alarm on the control plane\'s count, primary region only', () => {
      const a = alarm(primary, 'UnhealthyNodes');
      expect(metricNames(a)).toEqual(['gatehouse_fleet_nodes']);
      expect(a.Metrics!.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric.Dimensions)).toEqual([[{ Name: 'state', Value: 'lagging' }], [{ Name: 'state', Value: 'quiet' }]]);
      expect([a.Threshold, a.EvaluationPeriods]).toEqual([t.unhealthyNodes, 3]);
      expect(resourcesOf(secondary, 'AWS::CloudWatch::Alarm').some(([id]) => id.startsWith('GatewayAlarmsUnhealthyNodes'))).toBe(false);
    });

    test('sync errors, drop-guard refusals and serving from a fallback source', () => {
      const sync = alarm(secondary, 'SyncErrors');
      expect(metricNames(sync)).toEqual(['gatehouse_config_sync_errors_total']);
      expect(sync.Metrics!.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric.Dimensions![0]!.Value)).toEqual([...SYNC_ERROR_REASONS]);
      expect([sync.Threshold, sync.EvaluationPeriods]).toEqual([t.syncErrorsPerMinute, 5]);
      const drop = alarm(secondary, 'DropGuardRefusals');
      expect(drop).toMatchObject({ MetricName: 'gatehouse_config_sync_errors_total', Namespace: 'Gatehouse/Gateway', Dimensions: [{ Name: 'reason', Value: 'drop-guard' }], Threshold: 1 });
      const fallback = alarm(secondary, 'ServingFromFallback');
      expect(fallback.Metrics!.filter((m) => m.MetricStat).map((m) => [m.MetricStat!.Metric.Dimensions![0]!.Value, m.MetricStat!.Stat])).toEqual([
        ['last-known-good', 'Maximum'],
        ['s3', 'Maximum'],
      ]);
      expect([fallback.Threshold, fallback.EvaluationPeriods]).toEqual([1, t.fallbackSourceMinutes]);
    });

    test('rate-limit degradation, 5xx ratio, p99 latency and backup lag', () => {
      const rl = alarm(secondary, 'RateLimitDegraded');
      expect([metricNames(rl), rl.Threshold]).toEqual([['gatehouse_ratelimit_degraded_total'], t.rateLimitDegradedPerMinute]);
      const ratio = alarm(secondary, 'ServerErrorRatio');
      expect(metricNames(ratio)).toEqual(['gatehouse_requests_total']);
      expect(ratio.Metrics!.find((m) => m.Expression)!.Expression).toMatch(/^FILL\(c5, 0\) \/ \(/);
      expect(ratio.Threshold).toBe(t.serverErrorRatio);
      const p99 = alarm(secondary, 'P99Latency');
      expect(p99.Metrics!.filter((m) => m.MetricStat).map((m) => [m.MetricStat!.Metric.MetricName, m.MetricStat!.Stat])).toEqual([
        ['TargetResponseTime', 'p99'],
        ['TargetResponseTime', 'p99'],
      ]);
      expect(p99.Threshold).toBe(t.p99LatencySeconds);
      const lag = alarm(primary, 'BackupLag');
      expect(lag).toMatchObject({ MetricName: 'gatehouse_config_backup_lag_seconds', Statistic: 'Maximum', Threshold: t.backupLagSeconds });
    });

    test('every gateway alarm notifies the region\'s SNS topic on ALARM and OK', () => {
      for (const tpl of [primary, secondary])
        for (const [id, r] of resourcesOf(tpl, 'AWS::CloudWatch::Alarm').filter(([logicalId]) => logicalId.startsWith('GatewayAlarms'))) {
          expect([id, (r.Properties!.AlarmActions as unknown[]).length, (r.Properties!.OKActions as unknown[]).length]).toEqual([id, 1, 1]);
          expect(JSON.stringify(r.Properties!.AlarmActions)).toContain('AlarmTopic');
        }
    });

    test('the dashboard shows the gateway\'s own metrics', () => {
      const [, dash] = resourcesOf(primary, 'AWS::CloudWatch::Dashboard')[0]!;
      const body = JSON.stringify(dash.Properties!.DashboardBody);
      for (const name of ['gatehouse_requests_total', 'gatehouse_upstream_duration_seconds', 'gatehouse_fleet_nodes', 'gatehouse_config_sync_source']) expect(body).toContain(name);
    });
  });
});
