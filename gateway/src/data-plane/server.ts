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
import { createProxyHandlers, createUpgradeHandler, Tunnels, type AccessLog, type RequestMetrics } from './proxy';
import { type TrustedProxies } from '../core/client-address';
import type { RequestTracing } from './tracing';
import { ProtocolFront, type CertificateFiles, type H2Limits } from './listener';

/** What one client connection may hold of this process; from the `client*`, `max*` and `underscoresInHeaders` settings. */
export interface ClientLimits {
  /** Time to send a whole request head. */
  readonly headerTimeoutMs: number;
  /** Idle keep-alive connections close after this. */
  readonly keepAliveTimeoutMs: number;
  /** Longest pause inside a request body (408). */
  readonly bodyTimeoutMs: number;
  /** Open connections of this process; more are closed at once. */
  readonly maxConnections: number;
  /** Header fields per request (431 past it). */
  readonly maxRequestHeaders: number;
  /** Forward header names with `_`. */
  readonly underscoresInHeaders: boolean;
  /** HTTP/2 sessions: streams, header list, windows, flood guards (`h2*` settings). */
  readonly h2: H2Limits;
}

/** How often Node checks the header timeout of open connections (its default, 30 s, would make the setting coarse). */
const HEADER_TIMEOUT_CHECK_MS = 1_000;

export interface ProxyServerOptions {
  readonly dataPlane: DataPlane;
  readonly log: Logger;
  readonly limits: ClientLimits;
  readonly metrics?: RequestMetrics;
  /** Absent: no access log, and no per-request logging work at all. */
  readonly accessLog?: AccessLog;
  /** Where upgraded connections (WebSockets) are tracked, so shutdown can close them. */
  readonly tunnels?: Tunnels;
  /** Peers (load balancers) whose `X-Forwarded-Proto/-Host` are kept; none when absent. */
  readonly trustedProxies?: TrustedProxies;
  /** Request tracing; absent when off. */
  readonly tracing?: RequestTracing;
  /** The port speaks TLS (ALPN h2, http/1.1) with these files; cleartext HTTP/1.1 and h2c without. */
  readonly tls?: CertificateFiles;
}

/** Builds the proxy listener (not listening). */
export function buildProxyServer(options: ProxyServerOptions): FastifyInstance<Server> {
  const { limits } = options;
  const deps = {
    dataPlane: options.dataPlane,
    log: options.log,
    metrics: options.metrics,
    accessLog: options.accessLog,
    trustedProxies: options.trustedProxies,
    heads: { maxHeaders: limits.maxRequestHeaders, underscores: limits.underscoresInHeaders },
    bodyTimeoutMs: limits.bodyTimeoutMs,
    tracing: options.tracing,
  };
  const handlers = createProxyHandlers(deps);
  const app = fastify({
    logger: false,
    // Drain is ours (shutdown.ts): keep answering on open connections while closing.
    return503OnClosing: false,
    forceCloseConnections: false,
    serverFactory: (_fastifyHandler) => {
      const server = createServer(
        {
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          headersTimeout: limits.headerTimeoutMs,
          connectionsCheckingInterval: Math.min(HEADER_TIMEOUT_CHECK_MS, limits.headerTimeoutMs),
          // Bodies stream for as long as they need; the body idle timeout and per-route timeouts bound the pauses.
          requestTimeout: 0,
        },
        handlers.onRequest,
      );
      // One more than allowed, so that a request over the limit is seen (and refused) instead of silently cut.
      server.maxHeadersCount = limits.maxRequestHeaders + 1;
      server.maxConnections = limits.maxConnections;
      server.on('checkContinue', handlers.onCheckContinue);
      // HTTP/2 (h2c by preface, h2 by ALPN) is sorted out before the HTTP/1.1 parser (listener/protocols.ts).
      const front = new ProtocolFront(server, {
        h2: limits.h2,
        tls: options.tls,
        headerTimeoutMs: limits.headerTimeoutMs,
        keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
        maxRequestHeaders: limits.maxRequestHeaders,
        log: options.log,
        onRequest: handlers.onRequest,
        onCheckContinue: handlers.onCheckContinue,
      });
      server.on('upgrade', createUpgradeHandler(deps, options.tunnels ?? new Tunnels(), (socket) => front.http1(socket)));
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
