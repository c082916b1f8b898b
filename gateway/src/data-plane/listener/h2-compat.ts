/**
 * The request and response objects of an HTTP/2 stream, shaped like the HTTP/1.1 ones the proxy
 * pipeline reads (`ProxyExchange`), so that both protocols take one path through routing, plugins,
 * forwarded headers, drain, metrics and the access log:
 * - `rawHeaders` carries no pseudo-headers: `:authority` becomes `host` (RFC 9113 section 8.3.1; a
 *   `host` that differs from it is left as a second Host, which the pipeline refuses), split `cookie`
 *   fields are joined (section 8.2.3), and a stream whose HEADERS frame did not end it announces its
 *   body the way HTTP/1.1 does (`transfer-encoding`, which the pipeline never forwards).
 * - `writableFinished` is true only for a response that was ended and not reset: node's says true
 *   for any closed stream, which would hide a client's RST_STREAM from the pipeline (the upstream
 *   request would not be cancelled).
 * - `writeHead` drops connection-specific fields, which HTTP/2 forbids (section 8.2.2); the
 *   `Connection: close` a draining node asks for becomes a graceful GOAWAY once the response ends.
 */
import { constants, Http2ServerRequest, Http2ServerResponse, type OutgoingHttpHeaders } from 'node:http2';

/** Connection-specific fields node:http2 refuses to send. */
const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

export class H2Request extends Http2ServerRequest {
  /** `rawHeaders` as the pipeline reads it, worked out once. */
  pipelineRawHeaders: string[] | undefined;
}

// node declares `rawHeaders` as a field in its types but implements it as a prototype getter.
const nodeRawHeaders = Object.getOwnPropertyDescriptor(Http2ServerRequest.prototype, 'rawHeaders')!.get!;
Object.defineProperty(H2Request.prototype, 'rawHeaders', {
  get(this: H2Request): string[] {
    return (this.pipelineRawHeaders ??= pipelineHeaders(nodeRawHeaders.call(this) as string[], this.stream.endAfterHeaders));
  },
});

/** The HTTP/2 raw header list as the pipeline reads an HTTP/1.1 one. */
export function pipelineHeaders(raw: readonly string[], endAfterHeaders: boolean): string[] {
  const out: string[] = [];
  let authority: string | undefined;
  let host: string | undefined;
  let cookie: string | undefined;
  let length = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (name === ':authority') authority = value;
      continue;
    }
    if (name === 'host') host = value;
    else if (name === 'cookie') {
      cookie = cookie === undefined ? value : `${cookie}; ${value}`;
      continue;
    } else if (name === 'content-length') length = true;
    out.push(name, value);
  }
  if (authority !== undefined && authority !== host) out.unshift('host', authority);
  if (cookie !== undefined) out.push('cookie', cookie);
  if (!endAfterHeaders && !length) out.push('transfer-encoding', 'chunked');
  return out;
}

export class H2Response extends Http2ServerResponse<H2Request> {
  /** Set by the listener for `application/grpc` requests: gateway answers become gRPC statuses. */
  grpc = false;
  /** A gRPC health check (`grpc.health.v1.Health/Check`), which the gateway answers where no route does. */
  grpcHealthCheck = false;
  private goAwayAfter = false;

  override writeHead(statusCode: number, headersOrMessage?: string | OutgoingHttpHeaders, maybeHeaders?: OutgoingHttpHeaders): this {
    const headers = typeof headersOrMessage === 'string' ? maybeHeaders : headersOrMessage;
    if (headers) {
      if (String(headers.connection ?? '').toLowerCase() === 'close') this.goAwayAfter = true;
      for (const name of CONNECTION_SPECIFIC) if (name in headers) delete headers[name];
    }
    return super.writeHead(statusCode, headers);
  }

  override end(...args: unknown[]): this {
    (super.end as (...a: unknown[]) => this)(...args);
    // A draining node: no new streams on this connection, the ones open finish (GOAWAY).
    if (this.goAwayAfter && !this.stream.session?.closed) this.stream.session?.close();
    return this;
  }
}

Object.defineProperty(H2Response.prototype, 'writableFinished', {
  get(this: H2Response): boolean {
    const stream = this.stream;
    return this.writableEnded && (stream === undefined || !stream.closed || stream.rstCode === constants.NGHTTP2_NO_ERROR);
  },
});
