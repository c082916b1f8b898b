/** Operations endpoints: status listener and Prometheus metrics. */
export { buildStatusServer, type Readiness, type StatusSources } from './server';
export { GatewayMetrics, METRICS_PREFIX, LATENCY_BUCKETS_S, NO_ROUTE_LABEL, type GatewayMetricsOptions } from './metrics';
