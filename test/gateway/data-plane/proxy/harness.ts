/**
 * Test harness for the proxy: real upstream HTTP servers and a real gateway, all on 127.0.0.1 port 0.
 * Everything opened here is closed by `close()`.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { configChecksum } from '../../../../gateway/src/core/checksum';
import { buildProxyServer, createAccessLogger, DataPlane, GatewayMetrics, PinoAccessLog, Tunnels, type ClientLimits } from '../../../../gateway/src/data-plane';
import { type PluginRegistry } from '../../../../gateway/src/plugins/contract';
import { clientLimits } from '../../../../gateway/src/roles/node';
import { loadSettings } from '../../../../gateway/src/settings';
import { SnapshotCompiler } from '../../../../gateway/src/data-plane/snapshot';
import { parseTrustedProxies } from '../../../../gateway/src/core/client-address';
import type { RequestTracing } from '../../../../gateway/src/data-plane/tracing';

/** Collects JSON log lines written by pino. */
export class LogLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    cb();
  }
}

export interface Upstream {
  readonly server: Server;
  readonly port: number;
  /** Requests seen, in order. */
  readonly seen: { method: string; url: string; headers: IncomingHttpHeaders; rawHeaders: string[] }[];
  close(): Promise<void>;
}

/** An upstream HTTP server on port 0; `handler` defaults to a JSON echo of what it received. */
export async function startUpstream(handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    if (handler) return handler(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface Gateway {
  readonly dataPlane: DataPlane;
  readonly proxy: FastifyInstance;
  readonly metrics: GatewayMetrics;
  readonly tunnels: Tunnels;
  readonly port: number;
  readonly origin: string;
  /** The gateway's logger; its lines land in `logs`. */
  readonly log: Logger;
  readonly logs: LogLines;
  readonly accessLines: LogLines;
  /** Applies a config document as the next version; throws when it is rejected. */
  apply(document: object): Promise<void>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  readonly accessLog?: boolean;
  readonly plugins?: PluginRegistry;
  /** Peers whose X-Forwarded-Proto/-Host are kept (the `trustedProxies` setting). */
  readonly trustedProxies?: string;
  /** Client limits over the settings' defaults. */
  readonly limits?: Partial<ClientLimits>;
  /** Request tracing (off when absent). */
  readonly tracing?: RequestTracing;
  /** The request metrics (a fresh set when absent). */
  readonly metrics?: GatewayMetrics;
  /** Certificate files: the proxy port speaks TLS. */
  readonly tls?: { certFile: string; keyFile: string };
}

/** A listening gateway; `document` (when given) is applied as version 1. */
export async function startGateway(document?: object, options: GatewayOptions = {}): Promise<Gateway> {
  const logs = new LogLines();
  const accessLines = new LogLines();
  const log: Logger = pino({ level: 'debug' }, logs);
  let dp: DataPlane | undefined;
  const metrics = options.metrics ?? new GatewayMetrics({ snapshot: () => dp?.snapshot, processMetrics: false });
  const dataPlane = new DataPlane({ log, compilation: new SnapshotCompiler(), plugins: options.plugins, observer: metrics });
  dp = dataPlane;
  const tunnels = new Tunnels();
  const accessLog = options.accessLog ? new PinoAccessLog(createAccessLogger(accessLines)) : undefined;
  const trustedProxies = parseTrustedProxies(options.trustedProxies ?? '');
  const limits = { ...clientLimits(loadSettings({}, {})), ...options.limits };
  const proxy = buildProxyServer({ dataPlane, log, limits, metrics, accessLog, tunnels, trustedProxies, tracing: options.tracing, tls: options.tls });
  await proxy.listen({ port: 0, host: '127.0.0.1' });
  const port = (proxy.server.address() as AddressInfo).port;
  let version = 0;
  const apply = async (doc: object): Promise<void> => {
    const result = await dataPlane.apply(doc, { version: ++version, checksum: configChecksum(doc), source: 'file' });
    if (!result.applied) throw new Error(`config rejected: ${result.reason} ${JSON.stringify(result.problems ?? [])}`);
  };
  if (document) await apply(document);
  return {
    dataPlane,
    proxy,
    metrics,
    tunnels,
    port,
    origin: `http://127.0.0.1:${port}`,
    log,
    logs,
    accessLines,
    apply,
    async close() {
      tunnels.closeAll();
      proxy.server.closeAllConnections();
      await proxy.close();
      await dataPlane.close();
    },
  };
}

/** A config with one upstream `u` (given targets) and one route `r` on `paths`. */
export function oneRoute(ports: number[], route: Record<string, unknown> = {}, upstream: Record<string, unknown> = {}): object {
  return {
    upstreams: [{ id: 'u', targets: ports.map((port) => ({ host: '127.0.0.1', port })), ...upstream }],
    routes: [{ id: 'r', paths: ['/*'], upstream: 'u', ...route }],
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: string;
}

/** One request with node:http (no keep-alive, so nothing lingers); resolves with the whole answer. */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // The path goes out exactly as written (a URL object would resolve dot segments first).
    const m = /^http:\/\/([^/:]+):(\d+)(\/.*)?$/.exec(url);
    if (!m) return reject(new Error(`send() needs http://host:port/path, got ${url}`));
    const target = { host: m[1], port: Number(m[2]), path: m[3] ?? '/' };
    const req = httpRequest({ ...target, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits until `check` holds, polling; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
