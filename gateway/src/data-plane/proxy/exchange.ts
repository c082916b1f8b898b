/**
 * One proxied request: route it on the generation it started with, run the route's plugin phases,
 * pick a target, forward with undici (bodies stream both ways, with backpressure), retry idempotent
 * requests on another target, and answer errors as JSON. One object per request, and it is also the
 * undici dispatch handler, the balancer's pick input and the access-log record, so the hot path
 * allocates little beyond it.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { PluginAnswer } from '../../plugins/contract';
import { Errors, type ErrorCode } from '../../core/errors';
import { normalisePath } from '../../config/routes/path';
import type { DataPlane, Generation } from '../runtime';
import type { AttemptOutcome, CompiledRoute, PickInput, TargetHandle, UpstreamPool } from '../types';
import { answerError, answerPlugin } from './answer';
import { BodyLimit, limitBody } from './body-limit';
import { ProxyRequestContext } from './context';
import { classifyFailure, IDEMPOTENT_METHODS } from './errors';
import { forwardRequestHeaders, forwardResponseHeaders, headersObject, trailersObject, TOO_MANY_HEADERS, type RequestHeadPolicy, type RequestHeaderFacts } from './headers';
import { BodyWatch } from './body-watch';
import type { AccessLog, AccessRecord, RequestMetrics } from './ports';
import { requestIdFor } from './request-id';
import type { TrustedProxies } from '../../core/client-address';
import { openTunnel, rawHeader, switchingProtocolsHead, type Tunnels } from './tunnel';
import type { UpgradeResponse } from './upgrade-response';
import { traceIdOf, type RequestTrace, type RequestTracing } from '../tracing';
import { grpcRouteAccepts } from '../grpc/call';
import type { Http2DispatchOptions, RequestTrailerSource } from '../upstream/h2-dispatcher';
import { forwardRequestTrailers } from './request-trailers';

/** Status recorded (metrics, access log) when the client leaves before the response began. */
export const CLIENT_CLOSED_STATUS = 499;

export interface ProxyDeps {
  readonly dataPlane: DataPlane;
  readonly log: Logger;
  readonly metrics?: RequestMetrics;
  readonly accessLog?: AccessLog;
  /** Peers whose `X-Forwarded-Proto/-Host` are believed; none when absent. */
  readonly trustedProxies?: TrustedProxies;
  /** What a request head may carry (header count, underscores). */
  readonly heads: RequestHeadPolicy;
  /** Longest pause in a request body before the request is aborted with 408. */
  readonly bodyTimeoutMs: number;
  /** Absent when tracing is off: then no request takes a tracing step. */
  readonly tracing?: RequestTracing;
}

/** A WebSocket handshake: its response object sits on the raw socket, which a `101` turns into a tunnel. */
export interface UpgradeRequest {
  readonly response: UpgradeResponse;
  readonly tunnels: Tunnels;
}

/** The only protocol a connection is ever upgraded to. */
const WEBSOCKET = 'websocket';

type PhaseResult = PluginAnswer | void | Promise<PluginAnswer | void>;

function isPromise(value: PhaseResult): value is Promise<PluginAnswer | void> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

const CLIENT_GONE = new Error('the client closed the connection');
const BODY_STALLED = new Error('the client stopped sending the request body');
const EMPTY: string[] = [];
/** The exchange a response belongs to, so that one shared listener serves every response (no closure per request). */
const EXCHANGE = Symbol('gatehouse.exchange');
type TrackedResponse = ServerResponse & { [EXCHANGE]?: ProxyExchange };

function onResponseClose(this: TrackedResponse): void {
  this[EXCHANGE]?.finish();
}

function onResponseDrain(this: TrackedResponse): void {
  this[EXCHANGE]?.resume();
}

export class ProxyExchange implements Dispatcher.DispatchHandler, PickInput, AccessRecord, RequestHeaderFacts, RequestTrailerSource {
  // RequestHeaderFacts, filled while the headers are copied.
  clientHost: string | undefined = undefined;
  hasBody = false;
  contentLength = -1;
  headProblem: string | undefined = undefined;
  // AccessRecord and PickInput.
  requestId = '';
  readonly method: string;
  logPath = '';
  path = '';
  route: CompiledRoute | undefined = undefined;
  upstreamId: string | undefined = undefined;
  targetKey: string | undefined = undefined;
  status = 0;
  latencyMs = 0;
  readonly clientIp: string;
  upstreamLatencyMs = -1;
  /** Response body bytes: relayed from the upstream so far, or of the gateway's own answer. */
  bytesOut = 0;
  private attemptStarted = 0;
  private readonly bytesReadAtStart: number;
  /** Set when the client sent `Expect: 100-continue`: `100 Continue` goes out just before forwarding. */
  expectContinue = false;

  private readonly started = performance.now();
  private generation: Generation | undefined = undefined;
  private pool: UpstreamPool | undefined = undefined;
  private target: TargetHandle | undefined = undefined;
  private forwardHeaders: string[] = EMPTY;
  private ctx: ProxyRequestContext | undefined = undefined;
  private upstreamPath = '';
  /** The request's query string with its `?` ('' when none), kept for the plugin phases. */
  private query = '';
  private body: Readable | null = null;
  private limiter: BodyLimit | undefined = undefined;
  private triesLeft = 0;
  private tried: Set<TargetHandle> | undefined = undefined;
  private abortUpstream: ((err?: Error) => void) | undefined = undefined;
  private resumeUpstream: (() => void) | undefined = undefined;
  private attemptOpen = false;
  private closed = false;
  private drainListening = false;
  private bodyWatch: BodyWatch | undefined = undefined;
  private bodyStalled = false;
  /** Set once the upstream's 101 turned the connection into a tunnel. */
  private tunnelled = false;
  private trace: RequestTrace | undefined = undefined;

  constructor(
    private readonly deps: ProxyDeps,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    /** Present for a WebSocket handshake (see upgrade.ts). */
    private readonly upgrade?: UpgradeRequest,
  ) {
    this.method = req.method ?? 'GET';
    this.clientIp = req.socket.remoteAddress ?? '';
    this.bytesReadAtStart = req.socket.bytesRead;
  }

  // AccessRecord facts worked out only when read (the access log), so they cost nothing when it is off.
  get consumerId(): string | undefined {
    return this.ctx?.consumer?.id;
  }

  get userAgent(): string | undefined {
    return this.req.headers['user-agent'];
  }

  get traceId(): string | undefined {
    return this.trace !== undefined ? this.trace.traceId : traceIdOf(this.req.headers.traceparent);
  }

  get bytesIn(): number {
    if (!this.hasBody) return 0;
    if (this.contentLength >= 0) return this.contentLength;
    return Math.max(0, (this.req.socket?.bytesRead ?? this.bytesReadAtStart) - this.bytesReadAtStart);
  }

  /** The incoming headers (what balancers hash on). */
  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  /** Handles the request to the end; never throws. */
  run(): void {
    const { req, res, deps } = this;
    (res as TrackedResponse)[EXCHANGE] = this;
    res.on('close', onResponseClose);
    deps.metrics?.requestStarted();
    this.requestId = requestIdFor(req.headers['x-request-id']);
    if (deps.tracing !== undefined) this.trace = deps.tracing.start(req);
    const generation = deps.dataPlane.generation;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    this.logPath = rawPath;
    if (!generation) return this.fail('GW_ERR_NOT_READY');
    generation.acquire();
    this.generation = generation;
    const normalised = normalisePath(rawPath);
    if (!normalised.ok) {
      deps.log.debug({ requestId: this.requestId, reason: normalised.reason }, 'bad request path');
      return this.fail('GW_ERR_BAD_PATH');
    }
    this.path = this.logPath = normalised.path;
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const trusted = deps.trustedProxies !== undefined && deps.trustedProxies(this.clientIp);
    this.forwardHeaders = forwardRequestHeaders(req.rawHeaders, this.clientIp, proto, this.requestId, this, trusted, deps.heads);
    if (this.headProblem !== undefined) {
      deps.log.debug({ requestId: this.requestId, reason: this.headProblem }, 'bad request head');
      return this.fail(this.headProblem === TOO_MANY_HEADERS ? 'GW_ERR_HEADERS_TOO_LARGE' : 'GW_ERR_BAD_REQUEST');
    }
    const match = generation.snapshot.match(this.method, this.clientHost, this.path, req.headers);
    if (!match) return this.fail('GW_ERR_NO_ROUTE');
    const route = match.route;
    // A gRPC route's POST and content-type conditions hold after its path matched (no fall-through).
    if (route.config.grpc !== undefined && !grpcRouteAccepts(route.config.grpc, this.method, req.headers['content-type'])) return this.fail('GW_ERR_NO_ROUTE');
    this.route = route;
    // TRACE echoes the request (cookies, credentials) back: only where a route asks for it.
    if (this.method === 'TRACE' && !route.config.methods?.includes('TRACE')) return this.fail('GW_ERR_METHOD_NOT_ALLOWED');
    const query = q < 0 ? '' : url.slice(q);
    if (route.plugins.empty) {
      this.upstreamPath = route.forwardPath(this.path, match.params) + query;
      this.proxyTo(route.upstream);
    } else {
      this.runPlugins(route, match.params, query);
    }
  }

  /**
   * Runs the route's rewrite and access phases. Synchronous plugins (key-auth, cors, ...) are
   * followed synchronously: a promise (and a microtask) is paid only where a handler returns one.
   */
  private runPlugins(route: CompiledRoute, params: Readonly<Record<string, string>>, query: string): void {
    const ctx = new ProxyRequestContext(
      this.requestId,
      this.method,
      this.path,
      query.slice(1),
      headersObject(this.forwardHeaders),
      this.clientIp,
      route.config,
      params,
      route.forwardPath(this.path, params),
      this.generation!.snapshot.consumers,
      this.deps.trustedProxies,
    );
    this.ctx = ctx;
    this.query = query;
    let answer: PhaseResult;
    try {
      answer = route.plugins.rewrite(ctx);
    } catch (err) {
      return this.pluginFailed(err);
    }
    if (isPromise(answer)) answer.then((a) => this.afterRewrite(a), (err: unknown) => this.pluginFailed(err));
    else this.afterRewrite(answer);
  }

  private afterRewrite(answer: PluginAnswer | void): void {
    if (answer || this.closed) return this.afterAccess(answer);
    let access: PhaseResult;
    try {
      access = this.route!.plugins.access(this.ctx!);
    } catch (err) {
      return this.pluginFailed(err);
    }
    if (isPromise(access)) access.then((a) => this.afterAccess(a), (err: unknown) => this.pluginFailed(err));
    else this.afterAccess(access);
  }

  private afterAccess(answer: PluginAnswer | void): void {
    if (this.closed) return;
    const ctx = this.ctx!;
    const route = this.route!;
    if (answer) {
      this.status = answer.status;
      this.bytesOut = answerPlugin(this.res, answer, this.requestId, this.deps.dataPlane.isDraining, ctx.responseHeaders);
      return;
    }
    this.upstreamPath = ctx.upstreamPath + ctx.forwardQuery(this.query);
    const pool = ctx.upstreamOverride === undefined ? route.upstream : this.generation!.snapshot.upstream(ctx.upstreamOverride);
    if (!pool) {
      this.deps.log.error({ requestId: this.requestId, route: route.id, upstream: ctx.upstreamOverride }, 'a plugin chose an unknown upstream');
      return this.fail('GW_ERR_INTERNAL');
    }
    if (ctx.maxBodyBytes !== undefined && this.hasBody && this.contentLength > ctx.maxBodyBytes) return this.fail('GW_ERR_PAYLOAD_TOO_LARGE');
    this.proxyTo(pool);
  }

  private pluginFailed(err: unknown): void {
    if (this.closed) return;
    this.deps.log.error({ err, requestId: this.requestId, route: this.route?.id }, 'plugin failed');
    this.fail('GW_ERR_INTERNAL');
  }

  private proxyTo(pool: UpstreamPool): void {
    this.pool = pool;
    this.upstreamId = pool.id;
    const retries = pool.config.retries;
    this.triesLeft = retries > 0 && !this.hasBody && IDEMPOTENT_METHODS.has(this.method) ? retries : 0;
    const target = pool.pick(this, undefined);
    if (!target) return this.fail('GW_ERR_NO_HEALTHY_TARGET');
    if (this.hasBody) {
      if (this.expectContinue) this.res.writeContinue();
      const limit = this.ctx?.maxBodyBytes;
      this.body = limit === undefined ? this.req : (this.limiter = limitBody(this.req, limit));
      this.bodyWatch = new BodyWatch(this.req, this.deps.bodyTimeoutMs, this);
    }
    this.attempt(target);
  }

  private attempt(target: TargetHandle): void {
    const timeouts = this.route!.timeouts;
    this.target = target;
    this.targetKey = target.key;
    const host = this.hostFor(target);
    let headers: string[] | IncomingHttpHeaders;
    if (this.ctx) {
      this.ctx.headers.host = host;
      headers = this.ctx.headers;
    } else {
      this.forwardHeaders[1] = host;
      headers = this.forwardHeaders;
    }
    if (this.trace !== undefined) this.trace.attempt(this.method, target, this.upstreamPath, headers);
    this.pool!.begin(target);
    this.attemptOpen = true;
    this.attemptStarted = performance.now();
    const options: Http2DispatchOptions = {
      origin: target.origin,
      method: this.method as Dispatcher.HttpMethod,
      path: this.upstreamPath,
      headers: headers as Dispatcher.DispatchOptions['headers'],
      body: this.body,
      headersTimeout: timeouts.requestMs,
      bodyTimeout: timeouts.idleMs,
      // A WebSocket handshake is sent as one only where the route allows it; elsewhere it is a plain GET.
      upgrade: this.upgrade !== undefined && this.route!.config.websocket === true ? WEBSOCKET : undefined,
      trailerSource: this.hasBody ? this : undefined,
    };
    target.dispatcher.dispatch(options, this);
  }

  /** The client's request trailers as an HTTP/2 upstream is sent them (request-trailers.ts); read once the body ended. */
  requestTrailers(): Record<string, string> | undefined {
    return forwardRequestTrailers(this.req.rawTrailers, this.req.headers.connection, this.deps.heads);
  }

  private hostFor(target: TargetHandle): string {
    const override = this.ctx?.upstreamHost;
    if (override !== undefined) return override;
    if (this.route!.config.preserveHost && this.clientHost !== undefined) return this.clientHost;
    return target.origin.slice(target.origin.indexOf('//') + 2);
  }

  // undici dispatch handler (the callback API undici runs natively, so no adapter sits in between).

  onConnect(abort: (err?: Error) => void): void {
    if (this.closed) abort(CLIENT_GONE);
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.upstreamLatencyMs = performance.now() - this.attemptStarted;
    this.resumeUpstream = resume;
    const headers = forwardResponseHeaders(rawHeaders, this.requestId, this.deps.dataPlane.isDraining);
    const ctx = this.ctx;
    if (ctx) {
      Object.assign(headers, ctx.responseHeaders);
      this.route!.plugins.responseHeaders(ctx, statusCode, headers);
    }
    try {
      this.res.writeHead(statusCode, headers);
    } catch (err) {
      // Headers Node refuses to send (invalid characters): the client gets a 502 instead.
      this.triesLeft = 0;
      this.abortUpstream?.(err as Error);
      return false;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    if (this.res.write(chunk)) return true;
    if (!this.drainListening) {
      this.drainListening = true;
      this.res.on('drain', onResponseDrain);
    }
    return false;
  }

  /** The client's socket drained: let undici read from the upstream again. */
  resume(): void {
    this.resumeUpstream?.();
  }

  onComplete(trailers?: Buffer[] | string[] | null): void {
    this.endAttempt(this.pool!.statusOutcome(this.status));
    // Trailers (gRPC's status) come from HTTP/2 upstreams; HTTP/1.1 clients get them on chunked responses only.
    if (trailers && trailers.length > 0) this.res.addTrailers(trailersObject(trailers));
    this.res.end();
  }

  /** The upstream answered the WebSocket handshake with `101`: relay it and pipe both ways. */
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, upstream: Duplex): void {
    const protocol = rawHeader(rawHeaders, 'upgrade');
    if (this.closed || statusCode !== 101 || protocol?.toLowerCase() !== WEBSOCKET) {
      upstream.destroy();
      this.endAttempt('success');
      if (this.closed) return;
      this.deps.log.warn({ requestId: this.requestId, route: this.route?.id, target: this.targetKey, protocol }, 'upstream switched to a protocol the client did not ask for');
      return this.fail('GW_ERR_UPSTREAM_RESPONSE');
    }
    this.endAttempt('success');
    this.status = 101;
    this.upstreamLatencyMs = performance.now() - this.attemptStarted;
    const { socket, head } = this.upgrade!.response.takeSocket();
    this.tunnelled = true;
    socket.write(switchingProtocolsHead(rawHeaders, WEBSOCKET, this.requestId, this.ctx?.responseHeaders ?? {}));
    openTunnel(this.upgrade!.tunnels, socket, upstream, head, this.route!.timeouts.idleMs);
    this.finish();
  }

  /** The body watch saw no byte for the body timeout: abort the upstream request and answer 408. */
  bodyStalledOut(): void {
    if (this.closed) return;
    this.bodyStalled = true;
    this.deps.log.info({ requestId: this.requestId, route: this.route?.id, bodyTimeoutMs: this.deps.bodyTimeoutMs }, 'request body stalled');
    if (this.attemptOpen && this.abortUpstream) this.abortUpstream(BODY_STALLED);
    else this.fail('GW_ERR_BODY_TIMEOUT');
  }

  onError(err: Error): void {
    if (this.closed) {
      // The client left; the target did nothing wrong.
      this.endAttempt('success');
      return;
    }
    if (this.bodyStalled) {
      this.endAttempt('success');
      if (this.res.headersSent) return void this.res.destroy();
      return this.fail('GW_ERR_BODY_TIMEOUT');
    }
    if (this.limiter?.exceeded) {
      this.endAttempt('success');
      return this.fail('GW_ERR_PAYLOAD_TOO_LARGE');
    }
    const failure = classifyFailure(err);
    this.endAttempt(failure.outcome);
    if (this.res.headersSent) {
      // Mid-response: the only honest signal left is to cut the client connection.
      this.deps.log.warn({ err, requestId: this.requestId, route: this.route?.id, target: this.targetKey }, 'upstream response failed mid-body');
      this.res.destroy(err);
      return;
    }
    if (failure.retryable && this.triesLeft > 0) {
      this.triesLeft--;
      (this.tried ??= new Set()).add(this.target!);
      const next = this.pool!.pick(this, this.tried);
      if (next) {
        this.deps.log.debug({ err, requestId: this.requestId, failed: this.targetKey, next: next.key }, 'retrying on another target');
        return this.attempt(next);
      }
    }
    this.deps.log.warn({ err, requestId: this.requestId, route: this.route?.id, target: this.targetKey }, 'upstream request failed');
    this.fail(failure.code);
  }

  private endAttempt(outcome: AttemptOutcome): void {
    if (!this.attemptOpen) return;
    this.attemptOpen = false;
    this.pool!.end(this.target!, outcome);
    if (this.trace !== undefined) this.trace.attemptEnded(outcome, this.status);
  }

  /** Answers with the standard error JSON (when nothing was sent yet). */
  private fail(code: ErrorCode): void {
    if (this.closed || this.res.headersSent) return;
    this.status = Errors[code].status;
    // Past the size cap the rest of the body is not worth reading, and a client waiting for
    // `100 Continue` never sends its body: either way the connection closes after the answer.
    const closing =
      this.deps.dataPlane.isDraining ||
      code === 'GW_ERR_PAYLOAD_TOO_LARGE' ||
      code === 'GW_ERR_BODY_TIMEOUT' ||
      (this.expectContinue && this.hasBody && this.body === null);
    this.bytesOut = answerError(this.res, code, this.requestId, closing, this.ctx?.responseHeaders);
  }

  /** Runs once per request (the response's `close`), whether it completed, failed or the client went away. */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.bodyWatch?.stop();
    if (!this.tunnelled && !this.res.writableFinished) {
      if (this.attemptOpen) this.abortUpstream?.(CLIENT_GONE);
      if (!this.res.headersSent) this.status = CLIENT_CLOSED_STATUS;
    }
    this.latencyMs = performance.now() - this.started;
    const { deps } = this;
    deps.metrics?.requestFinished(this);
    deps.accessLog?.record(this);
    if (this.trace !== undefined) this.trace.end(this);
    if (this.ctx) {
      try {
        this.route!.plugins.log(this.ctx, this.status);
      } catch (err) {
        deps.log.error({ err, requestId: this.requestId, route: this.route?.id }, 'plugin log phase failed');
      }
    }
    this.generation?.release();
  }
}
