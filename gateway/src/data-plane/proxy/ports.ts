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
}

export interface RequestMetrics {
  requestStarted(): void;
  requestFinished(route: CompiledRoute | undefined, status: number, latencyMs: number): void;
}

export interface AccessLog {
  record(entry: AccessRecord): void;
}
