/**
 * Upgrade requests (WebSocket and other `Upgrade:` protocols): routed like any request, then a raw
 * TCP (or TLS) connection to the target carries the handshake and both directions are piped. The
 * target's handshake answer, 101 or not, reaches the client unchanged.
 */
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Errors, errorBody, type ErrorCode } from '../../errors';
import type { PluginAnswer } from '../../plugins/plugin';
import { normalisePath } from '../path';
import type { CompiledRoute, TargetHandle, UpstreamPool } from '../types';
import { ProxyRequestContext } from './context';
import type { ProxyDeps } from './exchange';
import { forwardRequestHeaders, headersObject, type RequestHeaderFacts } from './headers';
import type { AccessRecord } from './ports';
import { requestIdFor } from './request-id';

/** Open tunnels, so that shutdown can close what is left after the drain. */
export class Tunnels {
  private readonly open = new Set<Duplex>();

  add(socket: Duplex): void {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
  }

  get size(): number {
    return this.open.size;
  }

  /** Ends every tunnel (both sides close). */
  closeAll(): void {
    for (const s of this.open) s.destroy();
  }
}

function rawAnswer(socket: Duplex, status: number, body: string, headers: Record<string, string>): void {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const [k, v] of Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }))
    head += `${k}: ${v}\r\n`;
  socket.end(head + '\r\n' + body);
}

function serialise(method: string, path: string, headers: Record<string, string | string[] | undefined>): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${value}\r\n`;
  }
  return head + '\r\n';
}

class Upgrade implements AccessRecord, RequestHeaderFacts {
  clientHost: string | undefined = undefined;
  hasBody = false;
  contentLength = -1;
  requestId: string;
  readonly method: string;
  logPath = '';
  route: CompiledRoute | undefined = undefined;
  upstreamId: string | undefined = undefined;
  targetKey: string | undefined = undefined;
  status = 0;
  latencyMs = 0;
  readonly clientIp: string;
  private readonly started = performance.now();
  private recorded = false;

  constructor(
    private readonly deps: ProxyDeps,
    private readonly tunnels: Tunnels,
    private readonly req: IncomingMessage,
    private readonly socket: Duplex,
    private readonly head: Buffer,
  ) {
    this.method = req.method ?? 'GET';
    this.clientIp = req.socket.remoteAddress ?? '';
    this.requestId = requestIdFor(req.headers['x-request-id']);
  }

  async run(): Promise<void> {
    const { req, deps } = this;
    deps.metrics?.requestStarted();
    this.socket.once('close', () => this.record(this.status || 499));
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.logPath = q < 0 ? url : url.slice(0, q);
    const generation = deps.dataPlane.generation;
    if (!generation) return this.fail('GW_ERR_NOT_READY');
    const normalised = normalisePath(this.logPath);
    if (!normalised.ok) return this.fail('GW_ERR_BAD_PATH');
    this.logPath = normalised.path;
    const match = generation.snapshot.match(this.method, req.headers.host, normalised.path, req.headers);
    if (!match) return this.fail('GW_ERR_NO_ROUTE');
    const route = (this.route = match.route);
    const query = q < 0 ? '' : url.slice(q);
    const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const trusted = deps.trustedProxies !== undefined && deps.trustedProxies(this.clientIp);
    const headers = headersObject(forwardRequestHeaders(req.rawHeaders, this.clientIp, proto, this.requestId, this, trusted));
    let path = route.forwardPath(normalised.path, match.params);
    let pool: UpstreamPool | undefined = route.upstream;
    let hostOverride: string | undefined;
    let forwardedQuery = query;
    if (!route.plugins.empty) {
      const ctx = new ProxyRequestContext(this.requestId, this.method, normalised.path, query.slice(1), headers, this.clientIp, route.config, match.params, path, deps.trustedProxies);
      let answer: PluginAnswer | void;
      try {
        answer = (await route.plugins.rewrite(ctx)) ?? (await route.plugins.access(ctx));
      } catch (err) {
        deps.log.error({ err, requestId: this.requestId, route: route.id }, 'plugin failed on an upgrade request');
        return this.fail('GW_ERR_INTERNAL');
      }
      if (answer) return this.answer(answer, ctx.responseHeaders);
      path = ctx.upstreamPath;
      forwardedQuery = ctx.forwardQuery(query);
      hostOverride = ctx.upstreamHost;
      if (ctx.upstreamOverride !== undefined) pool = generation.snapshot.upstream(ctx.upstreamOverride);
      if (!pool) return this.fail('GW_ERR_INTERNAL');
    }
    const target = pool.pick({ clientIp: this.clientIp, path: normalised.path, headers: req.headers });
    if (!target) return this.fail('GW_ERR_NO_HEALTHY_TARGET');
    this.targetKey = target.key;
    this.upstreamId = pool.id;
    headers.host = hostOverride ?? (route.config.preserveHost && this.clientHost !== undefined ? this.clientHost : target.origin.slice(target.origin.indexOf('//') + 2));
    headers.connection = 'upgrade';
    headers.upgrade = req.headers.upgrade;
    this.connect(pool, target, route, serialise(this.method, path + forwardedQuery, headers));
  }

  private connect(pool: UpstreamPool, target: TargetHandle, route: CompiledRoute, requestHead: string): void {
    const { host, port } = target.config;
    const tls = pool.config.tls;
    const upstream: Socket =
      pool.config.scheme === 'https'
        ? tlsConnect({ host, port, servername: tls?.servername ?? (isIP(host) ? undefined : host), ca: tls?.ca, rejectUnauthorized: tls?.rejectUnauthorized ?? true })
        : tcpConnect({ host, port });
    const client = this.socket;
    let connected = false;
    pool.begin(target);
    upstream.setTimeout(route.timeouts.connectMs);
    upstream.once(pool.config.scheme === 'https' ? 'secureConnect' : 'connect', () => {
      connected = true;
      pool.end(target, 'success');
      upstream.setTimeout(route.timeouts.idleMs);
      this.tunnels.add(client);
      upstream.write(requestHead);
      if (this.head.length > 0) upstream.write(this.head);
      upstream.once('data', (first: Buffer) => {
        const status = Number(first.toString('latin1', 9, 12));
        this.record(Number.isInteger(status) ? status : 0);
      });
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('timeout', () => {
      if (!connected) {
        pool.end(target, 'timeout');
        this.fail('GW_ERR_UPSTREAM_TIMEOUT');
      }
      upstream.destroy();
    });
    upstream.on('error', (err) => {
      if (!connected) {
        pool.end(target, 'connect-failure');
        this.deps.log.warn({ err, requestId: this.requestId, target: target.key }, 'upgrade: upstream connect failed');
        this.fail('GW_ERR_UPSTREAM_CONNECT');
      }
      client.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }

  private fail(code: ErrorCode): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.status = Errors[code].status;
    const body = JSON.stringify(errorBody(code, this.requestId));
    rawAnswer(this.socket, this.status, body, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': this.requestId });
  }

  private answer(answer: PluginAnswer, extra: Record<string, string>): void {
    if (answer.error) {
      this.status = answer.status;
      const body = JSON.stringify(errorBody(answer.error, this.requestId));
      rawAnswer(this.socket, answer.status, body, { 'content-type': 'application/json; charset=utf-8', ...extra, ...answer.headers, 'x-request-id': this.requestId });
      return;
    }
    this.status = answer.status;
    rawAnswer(this.socket, answer.status, String(answer.body ?? ''), { ...extra, ...answer.headers, 'x-request-id': this.requestId });
  }

  private record(status: number): void {
    if (this.recorded) return;
    this.recorded = true;
    this.status = status;
    this.latencyMs = performance.now() - this.started;
    this.deps.metrics?.requestFinished(this.route, status, this.latencyMs);
    this.deps.accessLog?.record(this);
  }
}

/** The server's `upgrade` listener. */
export function createUpgradeHandler(deps: ProxyDeps, tunnels: Tunnels): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', (err) => deps.log.debug({ err }, 'upgrade: client socket error'));
    new Upgrade(deps, tunnels, req, socket, head).run().catch((err: unknown) => {
      deps.log.error({ err }, 'upgrade handling failed');
      socket.destroy();
    });
  };
}
