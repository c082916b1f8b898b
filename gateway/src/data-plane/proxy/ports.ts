/** What request handling needs from metrics and the access log; both are optional and cheap when off. */
import type { CompiledRoute } from '../types';

/** One finished request, as the access log records it. */
export interface AccessRecord {
  readonly requestId: string;
  readonly method: string;
  /** Normalised path when known, else the raw path; never the query string. */
  readonly logPath: string;
  readonly route: CompiledRoute | undefined;
  /** Upstream the request went to (a plugin may have chosen another than the route's). */
  readonly upstreamId: string | undefined;
  /** `host:port` of the last target tried, if any. */
  readonly targetKey: string | undefined;
  readonly status: number;
  readonly latencyMs: number;
  readonly clientIp: string;
  /** Id of the consumer an auth plugin identified. */
  readonly consumerId: string | undefined;
  /** From sending the last attempt to the upstream's response head; -1 when none arrived. */
  readonly upstreamLatencyMs: number;
  /** Request body bytes: Content-Length, or for a chunked body what the connection delivered meanwhile. */
  readonly bytesIn: number;
  /** Response body bytes relayed from the upstream, or of the gateway's own answer. */
  readonly bytesOut: number;
  readonly userAgent: string | undefined;
  /** This request's trace (tracing on), else the caller's `traceparent` trace id. */
  readonly traceId: string | undefined;
}

export interface RequestMetrics {
  requestStarted(): void;
  /** Reads only plain fields of the record, and `consumerId` when per-consumer series are on. */
  requestFinished(record: AccessRecord): void;
}

export interface AccessLog {
  record(entry: AccessRecord): void;
}
