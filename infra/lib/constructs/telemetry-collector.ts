/**
 * The AWS Distro for OpenTelemetry collector as a sidecar of a gateway task: it scrapes the
 * gateway's Prometheus `/metrics` on the task's loopback and writes the selected series to CloudWatch
 * as embedded metric format (EMF) log events, and receives the gateway's OTLP/HTTP traces and sends
 * them to X-Ray. The collector config is generated here (`collectorConfig`), so the metric names the
 * alarms use and the ones the collector ships are one list.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { GATEWAY_STATUS_PORT } from './public-load-balancer';

/** ADOT collector image, pinned (public ECR). */
export const COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3';
export const COLLECTOR_CONTAINER_NAME = 'telemetry-collector';
/** The OTLP/HTTP port on the task's loopback (the gateway's default `tracingEndpoint`). */
export const OTLP_HTTP_PORT = 4318;
/** The CloudWatch namespace of the gateway's own metrics, below the deployment's prefix. */
export const gatewayMetricsNamespace = (prefix: string): string => `${prefix}/Gateway`;

/** Series shipped to CloudWatch: these names, aggregated to these dimension sets (each dimension set is billed as a metric). */
export interface EmfSelection {
  readonly metrics: readonly string[];
  readonly dimensions: readonly (readonly string[])[];
}

/** What a data plane ships: what the gateway alarms and the dashboard read (docs/METRICS.md). */
export const DATA_PLANE_EMF: readonly EmfSelection[] = [
  { metrics: ['gatehouse_requests_total'], dimensions: [['status_class']] },
  { metrics: ['gatehouse_config_sync_errors_total'], dimensions: [['reason']] },
  { metrics: ['gatehouse_config_sync_source'], dimensions: [['source']] },
  { metrics: ['gatehouse_config_version', 'gatehouse_requests_in_flight'], dimensions: [[]] },
  { metrics: ['gatehouse_ratelimit_degraded_total'], dimensions: [['reason']] },
  { metrics: ['gatehouse_request_duration_seconds', 'gatehouse_upstream_duration_seconds'], dimensions: [[]] },
];

/** What the control plane ships: the fleet counts and the backup lag. */
export const CONTROL_PLANE_EMF: readonly EmfSelection[] = [
  { metrics: ['gatehouse_fleet_nodes'], dimensions: [['state']] },
  { metrics: ['gatehouse_config_backup_lag_seconds', 'gatehouse_config_backup_lag_versions', 'gatehouse_config_store_up'], dimensions: [[]] },
];

export interface CollectorConfigOptions {
  readonly namespace: string;
  readonly logGroupName: string;
  readonly region: string;
  readonly scrapeInterval: Duration;
  readonly metrics: readonly EmfSelection[];
  /** Receive OTLP traces and send them to X-Ray. */
  readonly traces: boolean;
}

/**
 * The collector config (as an object; YAML is the same data). Metric selectors are anchored regexes
 * without `$`, which the collector would read as a variable reference.
 */
export function collectorConfig(o: CollectorConfigOptions): Record<string, unknown> {
  const interval = `${o.scrapeInterval.toSeconds()}s`;
  const receivers: Record<string, unknown> = {
    prometheus: {
      config: {
        scrape_configs: [
          { job_name: 'gatehouse', scrape_interval: interval, scrape_timeout: '10s', metrics_path: '/metrics', static_configs: [{ targets: [`127.0.0.1:${GATEWAY_STATUS_PORT}`] }] },
        ],
      },
    },
  };
  const exporters: Record<string, unknown> = {
    awsemf: {
      namespace: o.namespace,
      log_group_name: o.logGroupName,
      log_stream_name: '{TaskId}',
      region: o.region,
      dimension_rollup_option: 'NoDimensionRollup',
      resource_to_telemetry_conversion: { enabled: false },
      metric_declarations: o.metrics.map((s) => ({ dimensions: s.dimensions.map((d) => [...d]), metric_name_selectors: s.metrics.map((m) => `^${m}`) })),
    },
  };
  const pipelines: Record<string, unknown> = { metrics: { receivers: ['prometheus'], processors: ['batch/metrics'], exporters: ['awsemf'] } };
  if (o.traces) {
    receivers.otlp = { protocols: { http: { endpoint: `127.0.0.1:${OTLP_HTTP_PORT}` } } };
    exporters.awsxray = { region: o.region, indexed_attributes: ['gatehouse.route', 'gatehouse.upstream'] };
    pipelines.traces = { receivers: ['otlp'], processors: ['batch/traces'], exporters: ['awsxray'] };
  }
  return {
    receivers,
    processors: { 'batch/metrics': { timeout: '60s' }, ...(o.traces ? { 'batch/traces': { timeout: '1s' } } : {}) },
    exporters,
    service: { pipelines },
  };
}

/** Properties of a {@link TelemetryCollector}. */
export interface TelemetryCollectorProps {
  /** The gateway's task definition (the collector joins it; they share the loopback). */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The deployment's prefix: the namespace is `<prefix>/Gateway`, the log group `/<prefix>/<id>`. */
  readonly prefix: string;
  /** What to ship. */
  readonly metrics: readonly EmfSelection[];
  /**
   * Receive traces and send them to X-Ray (the data plane); the gateway's tracing setting turns them on.
   *
   * @default false
   */
  readonly traces?: boolean;
  /**
   * How often the gateway's `/metrics` is scraped (also the CloudWatch resolution).
   *
   * @default Duration.minutes(1)
   */
  readonly scrapeInterval?: Duration;
  /** Retention of the EMF log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * What happens to the EMF log group when the stack goes.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Memory kept for the collector out of the task's (the ADOT sizing guide's minimum for one pipeline pair). */
const COLLECTOR_MEMORY_MIB = 256;
/** The numeric user the ADOT collector image runs as. */
const COLLECTOR_USER = '10001:10001';

export class TelemetryCollector extends Construct {
  readonly container: ecs.ContainerDefinition;
  /** Where EMF events (and the collector's own log) go; CloudWatch extracts the metrics from it. */
  readonly logGroup: logs.LogGroup;
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: TelemetryCollectorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const scrapeInterval = props.scrapeInterval ?? Duration.minutes(1);
    if (scrapeInterval.toSeconds() < 10) throw new Error(`TelemetryCollector: scrapeInterval must be at least 10 seconds (the scrape timeout), got ${scrapeInterval.toSeconds()}.`);
    this.namespace = gatewayMetricsNamespace(props.prefix);
    // A fixed name, so the generated config holds plain text rather than a token.
    const logGroupName = `/${props.prefix.toLowerCase()}/${id.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`;
    this.logGroup = new logs.LogGroup(this, 'Metrics', { logGroupName, retention: props.logRetention, removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY });
    const config = collectorConfig({
      namespace: this.namespace,
      logGroupName,
      region: stack.region,
      scrapeInterval,
      metrics: props.metrics,
      traces: props.traces ?? false,
    });
    this.container = props.taskDefinition.addContainer(COLLECTOR_CONTAINER_NAME, {
      image: ecs.ContainerImage.fromRegistry(COLLECTOR_IMAGE),
      // Telemetry must never take the gateway down with it.
      essential: false,
      readonlyRootFilesystem: true,
      // Non-root and a hard memory limit (Control Tower CT.ECS.PR.9 and PR.10); the ADOT image's own user is 10001.
      user: COLLECTOR_USER,
      memoryLimitMiB: COLLECTOR_MEMORY_MIB,
      command: ['--config=env:AOT_CONFIG_CONTENT'],
      environment: { AOT_CONFIG_CONTENT: stringify(config) },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'collector', mode: ecs.AwsLogDriverMode.NON_BLOCKING }),
    });
    const role = props.taskDefinition.taskRole;
    this.logGroup.grant(role, 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams');
    if (props.traces) {
      // X-Ray's write and sampling APIs have no resource-level permissions.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'], resources: ['*'] }),
      );
      if (role instanceof Construct)
        Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'The X-Ray trace and sampling APIs have no resource-level permissions; the collector sidecar sends the gateway traces.' });
    }
  }
}
