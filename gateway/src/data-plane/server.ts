/**
 * The proxy listener. fastify owns the server's lifecycle (ready, listen, close) and answers
 * `inject()`, but live traffic goes straight from Node's `request` event to the proxy handler: a
 * gateway routes with its own snapshot, so fastify's router, request/reply objects and body parsing
 * would be pure cost on the hot path (measured: see docs/BENCHMARKS.md).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DataPlane } from './runtime';
import { createProxyHandlers, createUpgradeHandler, Tunnels, type AccessLog, type RequestMetrics, type TrustedProxies } from './proxy';

/** Longer than the usual load balancer idle timeout (ALB: 60 s) so the balancer, not us, closes idle connections. */
export const DEFAULT_CLIENT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Time a client gets to send the request headers (slow-loris bound). */
export const DEFAULT_CLIENT_HEADERS_TIMEOUT_MS = 60_000;

export interface ProxyServerOptions {
  readonly dataPlane: DataPlane;
  readonly log: Logger;
  readonly metrics?: RequestMetrics;
  /** Absent: no access log, and no per-request logging work at all. */
  readonly accessLog?: AccessLog;
  /** Where upgraded connections (WebSockets) are tracked, so shutdown can close them. */
  readonly tunnels?: Tunnels;
  readonly keepAliveTimeoutMs?: number;
  /** Peers (load balancers) whose `X-Forwarded-Proto/-Host` are kept; none when absent. */
  readonly trustedProxies?: TrustedProxies;
}

/** Builds the proxy listener (not listening). */
export function buildProxyServer(options: ProxyServerOptions): FastifyInstance<Server> {
  const deps = { dataPlane: options.dataPlane, log: options.log, metrics: options.metrics, accessLog: options.accessLog, trustedProxies: options.trustedProxies };
  const handlers = createProxyHandlers(deps);
  const onUpgrade = createUpgradeHandler(deps, options.tunnels ?? new Tunnels());
  const app = fastify({
    logger: false,
    // Drain is ours (shutdown.ts): keep answering on open connections while closing.
    return503OnClosing: false,
    forceCloseConnections: false,
    serverFactory: (_fastifyHandler) => {
      const server = createServer(
        {
          keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_CLIENT_KEEP_ALIVE_TIMEOUT_MS,
          headersTimeout: DEFAULT_CLIENT_HEADERS_TIMEOUT_MS,
          // Bodies stream for as long as they need; per-route idle timeouts bound the pauses.
          requestTimeout: 0,
        },
        handlers.onRequest,
      );
      server.on('checkContinue', handlers.onCheckContinue);
      server.on('upgrade', onUpgrade);
      return server;
    },
  });
  // Only `inject()` reaches fastify's router; it ends up in the same handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.all('/*', (request, reply) => {
    reply.hijack();
    handlers.onRequest(request.raw as IncomingMessage, reply.raw as ServerResponse);
  });
  return app;
}
