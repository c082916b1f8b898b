/**
 * The status listener (`:9190` by default): `/healthz` (the process is alive), `/readyz` (a config
 * is loaded and the node is not draining), `/metrics` (Prometheus text format).
 */
import fastify, { type FastifyInstance } from 'fastify';

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready (`no config loaded yet`, `draining`). */
  readonly reason?: string;
  /** Running config version, when there is one. */
  readonly version?: number;
}

export interface StatusSources {
  readiness(): Readiness;
  /** The metrics exposition (content type and text). */
  metrics(): Promise<{ contentType: string; body: string }>;
}

/** Builds the status listener (not listening). */
export function buildStatusServer(sources: StatusSources): FastifyInstance {
  const app = fastify({ logger: false, return503OnClosing: false });
  app.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  app.get('/readyz', async (_request, reply) => {
    const r = sources.readiness();
    reply.header('cache-control', 'no-store');
    if (r.ready) return { status: 'ready', version: r.version };
    reply.code(503);
    return { status: 'not-ready', reason: r.reason ?? 'not ready', ...(r.version !== undefined ? { version: r.version } : {}) };
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await sources.metrics();
    reply.header('content-type', contentType).header('cache-control', 'no-store');
    return body;
  });
  return app;
}
