/**
 * The spans of one proxied request: a server span for the whole exchange and a client span per
 * upstream attempt, whose context goes to the upstream in `traceparent` (W3C Trace Context), so the
 * upstream's own spans hang under the attempt that reached it. Created only when tracing is on.
 */
import { SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AccessRecord } from '../proxy/ports';
import type { AttemptOutcome, TargetHandle } from '../types';

/** Attributes of our own (route, upstream and target ids), under one namespace. */
export const ATTR_ROUTE = 'gatehouse.route';
export const ATTR_UPSTREAM = 'gatehouse.upstream';
export const ATTR_TARGET = 'gatehouse.target';
export const ATTR_REQUEST_ID = 'gatehouse.request_id';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** The trace id in a `traceparent` header, or undefined when there is none or it is malformed (for the access log when tracing is off). */
export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const m = TRACEPARENT.exec(traceparent.trim());
  return m && m[1] !== '00000000000000000000000000000000' ? m[1] : undefined;
}

/** Writes `key: value` into the upstream headers: a flat `[name, value, …]` list (lower-case names) or an object. */
function setHeader(headers: string[] | IncomingHttpHeaders, key: string, value: string): void {
  if (!Array.isArray(headers)) {
    headers[key] = value;
    return;
  }
  for (let i = 2; i < headers.length; i += 2) {
    if (headers[i] === key) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(key, value);
}

const headerSetter = { set: setHeader };

export class RequestTrace {
  private readonly server: Span;
  private readonly serverContext: Context;
  private client: Span | undefined = undefined;
  private attempts = 0;

  constructor(
    private readonly tracer: Tracer,
    private readonly propagator: TextMapPropagator,
    parent: Context,
    req: IncomingMessage,
  ) {
    const headers = req.headers;
    this.server = tracer.startSpan(
      req.method ?? 'GET',
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: req.method ?? 'GET',
          [ATTR_URL_SCHEME]: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
          [ATTR_CLIENT_ADDRESS]: req.socket.remoteAddress ?? '',
          ...(headers.host === undefined ? {} : { [ATTR_SERVER_ADDRESS]: headers.host }),
          ...(headers['user-agent'] === undefined ? {} : { [ATTR_USER_AGENT_ORIGINAL]: headers['user-agent'] }),
        },
      },
      parent,
    );
    this.serverContext = trace.setSpan(parent, this.server);
  }

  /** The request's trace id (the parent's when the request came with one). */
  get traceId(): string {
    return this.server.spanContext().traceId;
  }

  /** Starts the client span of one upstream attempt and puts its context in the upstream request's headers. */
  attempt(method: string, target: TargetHandle, path: string, headers: string[] | IncomingHttpHeaders): void {
    this.client?.end();
    const origin = new URL(target.origin);
    const attributes: Record<string, string | number> = {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_SERVER_ADDRESS]: origin.hostname,
      [ATTR_SERVER_PORT]: Number(origin.port) || (origin.protocol === 'https:' ? 443 : 80),
      // The path only: a query may carry credentials (key-auth's query parameter).
      [ATTR_URL_PATH]: path.split('?', 1)[0]!,
      [ATTR_TARGET]: target.key,
    };
    if (this.attempts > 0) attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] = this.attempts;
    this.attempts++;
    const span = (this.client = this.tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, this.serverContext));
    this.propagator.inject(trace.setSpan(this.serverContext, span), headers, headerSetter);
  }

  /** Ends the current attempt's span with its outcome (`status` is the upstream's, 0 when none arrived). */
  attemptEnded(outcome: AttemptOutcome, status: number): void {
    const span = this.client;
    if (!span) return;
    this.client = undefined;
    if (status > 0) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (outcome !== 'success') {
      span.setAttribute(ATTR_ERROR_TYPE, outcome);
      span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (status >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }

  /** Ends the server span with what the access log records. */
  end(record: AccessRecord): void {
    this.client?.end();
    const span = this.server;
    span.setAttribute(ATTR_URL_PATH, record.logPath);
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, record.status);
    span.setAttribute(ATTR_REQUEST_ID, record.requestId);
    if (record.route) {
      span.setAttribute(ATTR_ROUTE, record.route.id);
      span.updateName(`${record.method} ${record.route.id}`);
    }
    if (record.upstreamId !== undefined) span.setAttribute(ATTR_UPSTREAM, record.upstreamId);
    if (record.status >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(record.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}
