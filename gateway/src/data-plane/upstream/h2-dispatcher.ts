/**
 * HTTP/2 to upstream targets (`protocol: h2` over TLS with ALPN, `h2c` in cleartext), with node:http2
 * behind undici's `Dispatcher` interface, so the proxy pipeline, retries, passive and active health
 * checks use it exactly as they use an undici pool. One session carries many streams; a new one is
 * opened only while every open session is at the peer's concurrent-stream limit, up to `maxSessions`.
 * Errors carry undici's codes (connect, headers and body timeouts, lost connection), so one
 * classification (proxy/errors.ts) serves both protocols. Trailers reach `onComplete`, which gRPC
 * needs; `grpc-timeout` is enforced here, capped by the request timeout (grpc/deadline.ts). Request
 * trailers are asked of the dispatch's `trailerSource` once the body has been sent (an HTTP/2 stream
 * with a body waits for them; none is an empty end-of-stream DATA frame).
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Readable } from 'node:stream';
import { Dispatcher } from 'undici';
import { formatGrpcTimeout, parseGrpcTimeout } from '../grpc/deadline';
import { isGrpcContentType } from '../grpc/call';

export interface Http2DispatcherOptions {
  readonly connectMs: number;
  /** Sessions per target at most (the upstream's `poolSize`). */
  readonly maxSessions: number;
  /** A session without traffic for this long is closed. */
  readonly idleMs: number;
  readonly servername?: string;
  readonly ca?: string;
  readonly rejectUnauthorized?: boolean;
}

/** Request fields HTTP/2 forbids or carries as pseudo-headers. */
const NOT_FORWARDED = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

const DEADLINE_TRAILERS = ['grpc-status', '4', 'grpc-message', 'Deadline exceeded'];

function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** node:http2 errors in undici's terms (the cause of a cancelled pending stream is the session's error). */
function asUndiciError(err: Error & { code?: string; cause?: unknown }): Error {
  // Not `instanceof Error`: node's internal errors may come from another realm (test sandboxes).
  const cause = err.cause as (Error & { code?: string }) | undefined;
  if (err.code === 'ERR_HTTP2_STREAM_CANCEL' && typeof cause === 'object' && cause !== null && typeof cause.message === 'string') return asUndiciError(cause);
  if (err.code === 'ERR_HTTP2_GOAWAY_SESSION' || err.code === 'ERR_HTTP2_SESSION_ERROR' || err.code === 'ERR_HTTP2_INVALID_SESSION') return coded(err.message, 'UND_ERR_SOCKET');
  return err;
}

/**
 * Headers as the flat list undici hands to `onHeaders`/`onComplete`, pseudo-headers left out. Strings,
 * not Buffers: every reader (proxy/headers.ts, undici's `parseHeaders`) takes both, and node:http2
 * already decoded them, so Buffers would only be allocated to be decoded again.
 */
function rawList(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in headers) {
    if (name.charCodeAt(0) === 58) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, String(value));
  }
  return out;
}

const NO_TRAILERS: string[] = [];

/** The exchange a stream belongs to, so that one set of listener functions serves every stream (no closures per request). */
const EXCHANGE = Symbol('gatehouse.h2.exchange');
type TrackedStream = ClientHttp2Stream & { [EXCHANGE]: Http2Exchange };

function onStreamResponse(this: TrackedStream, h: IncomingHttpHeaders, flags: number): void {
  this[EXCHANGE].onResponse(h, (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0);
}
function onStreamData(this: TrackedStream, chunk: Buffer): void {
  this[EXCHANGE].onData(chunk);
}
function onStreamTrailers(this: TrackedStream, t: IncomingHttpHeaders): void {
  this[EXCHANGE].trailers = rawList(t);
}
function onStreamWantTrailers(this: TrackedStream): void {
  this[EXCHANGE].sendTrailers();
}
function onStreamEnd(this: TrackedStream): void {
  this[EXCHANGE].complete();
}
function onStreamError(this: TrackedStream, err: Error): void {
  this[EXCHANGE].streamError(err);
}
function onStreamClose(this: TrackedStream): void {
  this[EXCHANGE].streamClosed();
}
function onStreamIdle(this: TrackedStream): void {
  this[EXCHANGE].fail(coded('upstream body timed out', 'UND_ERR_BODY_TIMEOUT'));
}
function onHeadersTimeout(exchange: Http2Exchange): void {
  exchange.fail(coded('upstream response headers timed out', 'UND_ERR_HEADERS_TIMEOUT'));
}
function onDeadline(exchange: Http2Exchange): void {
  exchange.deadlineExceeded();
}

type Headers = Dispatcher.DispatchOptions['headers'];

/** Where the request's trailers come from, asked once its body has ended (undici ignores the option). */
export interface RequestTrailerSource {
  requestTrailers(): Record<string, string> | undefined;
}

/** undici's dispatch options plus the request trailers this dispatcher can send. */
export type Http2DispatchOptions = Dispatcher.DispatchOptions & { readonly trailerSource?: RequestTrailerSource };

/** Adds one request field to `out` (`host` becomes `:authority`; fields HTTP/2 forbids are left out). */
function addField(out: OutgoingHttpHeaders, rawName: string, value: string | string[] | undefined): void {
  if (value === undefined) return;
  const name = rawName.toLowerCase();
  if (name === 'host') {
    out[':authority'] = Array.isArray(value) ? value[0] : value;
    return;
  }
  if (NOT_FORWARDED.has(name)) return;
  const prev = out[name];
  if (prev === undefined) out[name] = value;
  else out[name] = ([] as string[]).concat(prev as string | string[], value);
}

/** The request's fields as node:http2 takes them; `host` becomes `:authority`. */
function outgoing(opts: Dispatcher.DispatchOptions, scheme: string, fallbackAuthority: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': opts.method, ':path': opts.path, ':scheme': scheme, ':authority': fallbackAuthority };
  const h = opts.headers as Headers;
  if (Array.isArray(h)) for (let i = 0; i < h.length; i += 2) addField(out, String(h[i]), String(h[i + 1]));
  else if (h) for (const k in h as Record<string, string | string[] | undefined>) addField(out, k, (h as Record<string, string | string[] | undefined>)[k]);
  // gRPC needs `te: trailers` (the only TE value HTTP/2 allows).
  if (isGrpcContentType(out['content-type'] as string | undefined)) out.te = 'trailers';
  return out;
}

interface SessionEntry {
  readonly session: ClientHttp2Session;
  active: number;
}

export class Http2Dispatcher extends Dispatcher {
  private readonly sessions: SessionEntry[] = [];
  private readonly scheme: string;
  private readonly authority: string;
  private closed = false;

  constructor(
    private readonly origin: string,
    private readonly options: Http2DispatcherOptions,
  ) {
    super();
    const url = new URL(origin);
    this.scheme = url.protocol.slice(0, -1);
    this.authority = url.host;
  }

  /** Sessions open now (tests, metrics). */
  get sessionCount(): number {
    return this.sessions.length;
  }

  override dispatch(opts: Http2DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.closed) {
      handler.onError?.(coded('the upstream pool is closed', 'UND_ERR_CLOSED'));
      return false;
    }
    new Http2Exchange(this.session(), opts, handler, this.scheme, this.authority).start();
    return true;
  }

  private session(): SessionEntry {
    let best: SessionEntry | undefined;
    for (const e of this.sessions) {
      if (e.session.closed || e.session.destroyed) continue;
      const limit = e.session.remoteSettings?.maxConcurrentStreams ?? 100;
      if (e.active < limit) return e;
      if (!best || e.active < best.active) best = e;
    }
    if (best && this.sessions.length >= this.options.maxSessions) return best;
    return this.open();
  }

  private open(): SessionEntry {
    const o = this.options;
    const session = connect(this.origin, {
      ...(this.scheme === 'https'
        ? { servername: o.servername, ca: o.ca, rejectUnauthorized: o.rejectUnauthorized ?? true, ALPNProtocols: ['h2'] }
        : {}),
      settings: { enablePush: false },
    });
    const entry: SessionEntry = { session, active: 0 };
    this.sessions.push(entry);
    const forget = (): void => {
      const i = this.sessions.indexOf(entry);
      if (i >= 0) this.sessions.splice(i, 1);
    };
    const connectTimer = setTimeout(() => session.destroy(coded(`connect to ${this.origin} timed out`, 'UND_ERR_CONNECT_TIMEOUT')), o.connectMs);
    connectTimer.unref();
    session.once('connect', () => {
      clearTimeout(connectTimer);
      // A TLS peer that did not choose h2 cannot serve this upstream.
      const alpn = (session.socket as { alpnProtocol?: string | false }).alpnProtocol;
      if (this.scheme === 'https' && alpn !== 'h2') session.destroy(coded(`${this.origin} did not negotiate h2 (ALPN ${String(alpn)})`, 'UND_ERR_SOCKET'));
    });
    session.on('error', () => undefined);
    session.once('goaway', forget);
    session.once('close', () => {
      clearTimeout(connectTimer);
      forget();
    });
    session.setTimeout(o.idleMs, () => session.close());
    return entry;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.closed = true;
    const done = Promise.all(this.sessions.map((e) => new Promise<void>((resolve) => (e.session.closed ? resolve() : e.session.close(() => resolve()))))).then(() => undefined);
    if (callback) return void done.then(callback);
    return done;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    this.closed = true;
    for (const e of [...this.sessions]) e.session.destroy();
    const callback = typeof a === 'function' ? a : typeof b === 'function' ? b : undefined;
    if (callback) return void (callback as () => void)();
    return Promise.resolve();
  }
}

/**
 * One request on one session, reported to an undici dispatch handler. The stream's listeners are the
 * shared functions above (the stream points back here), and timers take the exchange as their
 * argument, so a request allocates no closures of its own beyond the one `resume` undici needs.
 */
class Http2Exchange {
  private stream: TrackedStream | undefined;
  private done = false;
  private responded = false;
  /** Set by the stream's `trailers` event (or a trailers-only answer). */
  trailers: string[] = NO_TRAILERS;
  private headersTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly entry: SessionEntry,
    private readonly opts: Http2DispatchOptions,
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly scheme: string,
    private readonly authority: string,
  ) {}

  start(): void {
    const { opts, handler } = this;
    const headers = outgoing(opts, this.scheme, this.authority);
    const headersTimeout = opts.headersTimeout ?? 0;
    const grpcDeadline = parseGrpcTimeout(headers['grpc-timeout'] as string | undefined);
    const deadline = grpcDeadline === undefined ? undefined : headersTimeout > 0 ? Math.min(grpcDeadline, headersTimeout) : grpcDeadline;
    if (deadline !== undefined) headers['grpc-timeout'] = formatGrpcTimeout(deadline);
    const body = opts.body as Readable | string | Buffer | null | undefined;
    handler.onConnect?.((err?: Error) => this.fail(err ?? coded('aborted', 'UND_ERR_ABORTED')));
    if (this.done) return;
    let stream: TrackedStream;
    const streamed = body !== null && body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);
    const withTrailers = streamed && opts.trailerSource !== undefined;
    try {
      stream = this.entry.session.request(headers, { endStream: body === null || body === undefined, waitForTrailers: withTrailers }) as TrackedStream;
    } catch (err) {
      return this.fail(asUndiciError(err as Error));
    }
    stream[EXCHANGE] = this;
    this.stream = stream;
    this.entry.active++;
    if (deadline !== undefined) {
      this.deadlineTimer = setTimeout(onDeadline, deadline, this);
      this.deadlineTimer.unref();
    } else if (headersTimeout > 0) {
      this.headersTimer = setTimeout(onHeadersTimeout, headersTimeout, this);
      this.headersTimer.unref();
    }
    stream.on('response', onStreamResponse);
    stream.on('data', onStreamData);
    stream.on('trailers', onStreamTrailers);
    if (withTrailers) stream.once('wantTrailers', onStreamWantTrailers);
    stream.on('end', onStreamEnd);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    if (typeof body === 'string' || Buffer.isBuffer(body)) stream.end(body);
    else if (body) {
      body.on('error', (err) => this.fail(err));
      body.pipe(stream);
    }
  }

  // Stream events (see the listener functions above).

  onData(chunk: Buffer): void {
    if (!this.done && this.handler.onData?.(chunk) === false) this.stream!.pause();
  }

  sendTrailers(): void {
    const stream = this.stream!;
    if (this.done || stream.closed) return;
    try {
      stream.sendTrailers(this.opts.trailerSource!.requestTrailers() ?? {});
    } catch (err) {
      // node refused a field (it checks names and values again): the request cannot end as sent.
      this.fail(coded(`request trailers could not be sent: ${(err as Error).message}`, 'UND_ERR_ABORTED'));
    }
  }

  streamError(err: Error): void {
    const stream = this.stream!;
    this.fail(stream.rstCode === constants.NGHTTP2_REFUSED_STREAM ? this.closeError(stream) : asUndiciError(err));
  }

  streamClosed(): void {
    this.entry.active--;
    if (!this.done) this.fail(this.closeError(this.stream!));
  }

  private closeError(stream: ClientHttp2Stream): Error {
    // REFUSED_STREAM: the upstream did not process the request (RFC 9113 section 8.7), safe to retry.
    if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) return coded('the upstream refused the stream', 'UND_ERR_SOCKET');
    return coded(`the upstream closed the stream (code ${stream.rstCode ?? 'none'})`, this.responded ? 'ERR_HTTP2_STREAM_ERROR' : 'UND_ERR_SOCKET');
  }

  onResponse(h: IncomingHttpHeaders, endStream: boolean): void {
    if (this.done) return;
    // A trailers-only answer (a gRPC error): its status goes on as trailers, the form every client reads.
    if (endStream && h['grpc-status'] !== undefined) {
      const trailers: IncomingHttpHeaders = { 'grpc-status': h['grpc-status'] };
      if (h['grpc-message'] !== undefined) trailers['grpc-message'] = h['grpc-message'];
      delete h['grpc-status'];
      delete h['grpc-message'];
      this.trailers = rawList(trailers);
    }
    clearTimeout(this.headersTimer);
    this.responded = true;
    const status = Number(h[':status']);
    const stream = this.stream!;
    const idle = this.opts.bodyTimeout ?? 0;
    if (idle > 0) stream.setTimeout(idle, onStreamIdle);
    const resume = (): void => void stream.resume();
    if (this.handler.onHeaders?.(status, rawList(h) as unknown as Buffer[], resume, '') === false) stream.pause();
  }

  /** The deadline passed: before the response, a timeout; during it, the call ends with DEADLINE_EXCEEDED. */
  deadlineExceeded(): void {
    if (this.done) return;
    if (!this.responded) return this.fail(coded('the gRPC deadline passed before the upstream answered', 'UND_ERR_HEADERS_TIMEOUT'));
    this.finish();
    this.stream?.close(constants.NGHTTP2_CANCEL);
    this.handler.onComplete?.(DEADLINE_TRAILERS);
  }

  complete(): void {
    if (this.done) return;
    this.finish();
    this.handler.onComplete?.(this.trailers);
  }

  fail(err: Error): void {
    if (this.done) return;
    this.finish();
    if (this.stream && !this.stream.closed) this.stream.close(constants.NGHTTP2_CANCEL);
    this.handler.onError?.(err);
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.headersTimer);
    clearTimeout(this.deadlineTimer);
  }
}
