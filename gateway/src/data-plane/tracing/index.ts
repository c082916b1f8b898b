/** Request tracing (OpenTelemetry): built only when the `tracing` setting is on. */
export { OtelRequestTracing, type RequestTracing, type TracingOptions } from './tracing';
export { RequestTrace, traceIdOf } from './request-trace';
