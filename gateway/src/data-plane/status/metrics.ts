/**
 * Prometheus metrics of one data plane (prefix `gatehouse_`), on the node's registry. The hot path
 * adds to plain cells held per route (`core/metrics.ts`) and a plain in-flight counter; prom-client
 * reads them, and everything that reads state (target health, in-flight), only when Prometheus scrapes.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { PlainCounter, PlainHistogram, type CounterCell, type HistogramCell } from '../../core/metrics';
import type { ConfigObserver } from '../runtime';
import type { AccessRecord, RequestMetrics } from '../proxy';
import { codeLabel, statusClassLabel } from './labels';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
import type { ConfigMeta, Snapshot } from '../types';

export const METRICS_PREFIX = 'gatehouse_';
/** Latency buckets in seconds: 1 ms to 30 s. */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Label for requests that matched no route. */
export const NO_ROUTE_LABEL = '';

/** Statuses cached per route by index; outside this range a status shares the `other` cell. */
const MAX_STATUS = 600;

interface RouteSeries {
  readonly route: string;
  /** By status; filled on first use. */
  readonly byStatus: (CounterCell | undefined)[];
  readonly latency: HistogramCell;
  readonly upstreamLatency: HistogramCell;
  readonly bytesIn: CounterCell;
  readonly bytesOut: CounterCell;
  /** Per consumer id (only with `consumerLabels`), by status class. */
  readonly byConsumer?: Map<string, CounterCell[]>;
}

export interface GatewayMetricsOptions {
  /** The node's registry, which every metric of the node is declared on; a registry of its own when absent (tests of the proxy alone). */
  readonly registry?: Registry;
  /** The running snapshot, read at scrape time. */
  readonly snapshot: () => Snapshot | undefined;
  /** Also export Node.js process metrics (memory, event loop lag). Default true. */
  readonly processMetrics?: boolean;
  /** Also count requests per consumer (`gatehouse_consumer_requests_total`); off by default (one series per consumer and route). */
  readonly consumerLabels?: boolean;
}

export class GatewayMetrics implements RequestMetrics, ConfigObserver {
  readonly registry: Registry;
  private inFlight = 0;
  private readonly requests: PlainCounter<'route' | 'status_class' | 'code'>;
  private readonly latency: PlainHistogram<'route'>;
  private readonly upstreamLatency: PlainHistogram<'route'>;
  private readonly requestBytes: PlainCounter<'route'>;
  private readonly responseBytes: PlainCounter<'route'>;
  private readonly consumerRequests: PlainCounter<'route' | 'consumer' | 'status_class'> | undefined;
  private readonly configVersion: Gauge;
  private readonly configReloads: Counter<'source'>;
  private readonly configFailures: Counter<'source'>;
  private readonly series = new Map<string, RouteSeries>();

  constructor(options: GatewayMetricsOptions) {
    const registry = (this.registry = options.registry ?? new Registry());
    const registers = [registry];
    const p = METRICS_PREFIX;
    this.requests = new PlainCounter(registry, {
      name: `${p}requests_total`,
      help: 'Requests handled, by route id, status class and status code (codes outside a fixed list count as "other").',
      labelNames: ['route', 'status_class', 'code'],
    });
    this.latency = new PlainHistogram(registry, { name: `${p}request_duration_seconds`, help: 'Time from request to the end of the response, by route id.', labelNames: ['route'], buckets: LATENCY_BUCKETS_S });
    this.upstreamLatency = new PlainHistogram(registry, {
      name: `${p}upstream_duration_seconds`,
      help: 'Time from sending a request to the upstream to its response head (the last attempt), by route id; the rest of request_duration is the gateway and the body transfer.',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS_S,
    });
    this.requestBytes = new PlainCounter(registry, { name: `${p}request_body_bytes_total`, help: 'Request body bytes received, by route id.', labelNames: ['route'] });
    this.responseBytes = new PlainCounter(registry, { name: `${p}response_body_bytes_total`, help: 'Response body bytes sent, by route id.', labelNames: ['route'] });
    this.consumerRequests = options.consumerLabels
      ? new PlainCounter(registry, { name: `${p}consumer_requests_total`, help: 'Requests by route id, authenticated consumer id and status class (consumerLabels setting).', labelNames: ['route', 'consumer', 'status_class'] })
      : undefined;
    // Over cluster workers the lowest version is the honest one.
    this.configVersion = new Gauge({ name: `${p}config_version`, help: 'Version of the running config (0 before the first).', registers, aggregator: 'min' });
    this.configVersion.set(0);
    this.configReloads = new Counter({ name: `${p}config_reloads_total`, help: 'Config versions applied, by source.', labelNames: ['source'], registers });
    this.configFailures = new Counter({ name: `${p}config_reload_failures_total`, help: 'Config versions rejected (invalid or not compilable), by source.', labelNames: ['source'], registers });
    const self = this;
    new Gauge({ name: `${p}requests_in_flight`, help: 'Requests being handled now.', registers, collect() { this.set(self.inFlight); } });
    new Gauge({
      name: `${p}upstream_target_healthy`,
      help: 'Whether the balancer considers an upstream target healthy (1) or ejected (0).',
      labelNames: ['upstream', 'target'],
      registers,
      aggregator: 'min',
      collect() {
        this.reset();
        forEachTarget(options.snapshot(), (upstream, target, healthy) => this.set({ upstream, target }, healthy ? 1 : 0));
      },
    });
    new Gauge({
      name: `${p}upstream_target_in_flight`,
      help: 'Requests in flight to an upstream target.',
      labelNames: ['upstream', 'target'],
      registers,
      collect() {
        this.reset();
        forEachTarget(options.snapshot(), (upstream, target, _healthy, inFlight) => this.set({ upstream, target }, inFlight));
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  requestStarted(): void {
    this.inFlight++;
  }

  requestFinished(e: AccessRecord): void {
    this.inFlight--;
    const route = e.route;
    const id = route === undefined ? NO_ROUTE_LABEL : route.id;
    let s = this.series.get(id);
    if (s === undefined) {
      s = {
        route: id,
        byStatus: new Array<CounterCell | undefined>(MAX_STATUS),
        latency: this.latency.cell({ route: id }),
        upstreamLatency: this.upstreamLatency.cell({ route: id }),
        bytesIn: this.requestBytes.cell({ route: id }),
        bytesOut: this.responseBytes.cell({ route: id }),
        byConsumer: this.consumerRequests && new Map(),
      };
      this.series.set(id, s);
    }
    const status = e.status;
    const index = status > 0 && status < MAX_STATUS ? status : 0;
    (s.byStatus[index] ??= this.requests.cell({ route: id, status_class: statusClassLabel(status), code: codeLabel(status) })).value++;
    s.latency.observe(e.latencyMs / 1000);
    if (e.upstreamLatencyMs >= 0) s.upstreamLatency.observe(e.upstreamLatencyMs / 1000);
    s.bytesIn.value += e.bytesIn;
    s.bytesOut.value += e.bytesOut;
    if (s.byConsumer !== undefined) this.countConsumer(s, e);
  }

  private countConsumer(s: RouteSeries, e: AccessRecord): void {
    const consumer = e.consumerId;
    if (consumer === undefined) return;
    let cells = s.byConsumer!.get(consumer);
    if (cells === undefined) {
      cells = STATUS_CLASSES.map((c) => this.consumerRequests!.cell({ route: s.route, consumer, status_class: c }));
      s.byConsumer!.set(consumer, cells);
    }
    cells[STATUS_CLASSES.indexOf(statusClassLabel(e.status))]!.value++;
  }

  applied(meta: ConfigMeta): void {
    this.configVersion.set(meta.version);
    this.configReloads.labels(meta.source).inc();
  }

  rejected(meta: ConfigMeta): void {
    this.configFailures.labels(meta.source).inc();
  }
}

function forEachTarget(snapshot: Snapshot | undefined, fn: (upstream: string, target: string, healthy: boolean, inFlight: number) => void): void {
  if (!snapshot) return;
  for (const u of snapshot.config.upstreams) {
    const pool = snapshot.upstream(u.id);
    if (pool) for (const t of pool.targets) fn(u.id, t.key, t.healthy, t.inFlight);
  }
}
