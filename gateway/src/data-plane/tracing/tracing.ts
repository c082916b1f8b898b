/**
 * OpenTelemetry tracing of proxied requests, built only when the `tracing` setting is on: one tracer
 * provider with parent-based ratio sampling and batched OTLP/HTTP export. When it is off nothing here
 * is created and the proxy takes no tracing step at all (no span objects, no context work).
 */
import { ROOT_CONTEXT, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { GATEWAY_VERSION } from '../../core/version';
import { RequestTrace } from './request-trace';

export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. the collector sidecar's `http://127.0.0.1:4318/v1/traces`. */
  readonly endpoint: string;
  /** Share of new traces sampled (0 to 1); a request that arrives with a sampled parent is always traced. */
  readonly sampleRatio: number;
  /** `service.instance.id` (the node id) and `cloud.region` of the spans' resource. */
  readonly nodeId?: string;
  readonly region?: string;
  /** Export no later than this after a span ends. */
  readonly exportDelayMs?: number;
}

/** What the proxy asks of tracing: one trace per request. */
export interface RequestTracing {
  start(req: IncomingMessage): RequestTrace;
  /** Exports what is buffered now. */
  flush(): Promise<void>;
  /** Exports what is buffered and stops. */
  close(): Promise<void>;
}

const headerGetter = {
  keys: (carrier: IncomingHttpHeaders) => Object.keys(carrier),
  get: (carrier: IncomingHttpHeaders, key: string) => carrier[key],
};

const DEFAULT_EXPORT_DELAY_MS = 5_000;
/** Spans buffered before new ones are dropped (the SDK's default), so a dead collector cannot grow memory. */
const MAX_QUEUED_SPANS = 2_048;

export class OtelRequestTracing implements RequestTracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(options: TracingOptions) {
    const attributes: Record<string, string> = { [ATTR_SERVICE_NAME]: 'gatehouse', [ATTR_SERVICE_VERSION]: GATEWAY_VERSION };
    // Incubating semantic conventions are spelled out rather than imported (the package's advice).
    if (options.nodeId) attributes['service.instance.id'] = options.nodeId;
    if (options.region) attributes['cloud.region'] = options.region;
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes(attributes),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: options.endpoint }), {
          scheduledDelayMillis: options.exportDelayMs ?? DEFAULT_EXPORT_DELAY_MS,
          maxQueueSize: MAX_QUEUED_SPANS,
        }),
      ],
    });
    this.tracer = this.provider.getTracer('gatehouse', GATEWAY_VERSION);
  }

  start(req: IncomingMessage): RequestTrace {
    const headers = req.headers;
    const parent = headers.traceparent === undefined ? ROOT_CONTEXT : this.propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    return new RequestTrace(this.tracer, this.propagator, parent, req);
  }

  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  close(): Promise<void> {
    return this.provider.shutdown();
  }
}
