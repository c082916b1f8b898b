/**
 * Graceful drain, so that scale-in and rollouts cost no client a failed request:
 * 1. `/readyz` answers 503 and every response asks its keep-alive client to close (`Connection: close`);
 * 2. the node keeps serving for the deregistration delay, while the load balancer notices and stops
 *    sending new connections;
 * 3. the proxy listener stops accepting and idle keep-alive connections are closed;
 * 4. requests in flight finish (bounded by the drain timeout), then upgraded connections and anything
 *    left are closed;
 * 5. upstream pools and health checks are closed.
 */
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DataPlane } from './runtime';
import type { Tunnels } from './proxy';

/** How often in-flight requests are checked while draining. */
export const DRAIN_POLL_MS = 25;

export interface DrainParts {
  readonly dataPlane: DataPlane;
  readonly proxy: FastifyInstance<Server>;
  readonly tunnels: Tunnels;
  readonly log: Logger;
}

export interface DrainTiming {
  readonly deregistrationDelayMs: number;
  readonly drainTimeoutMs: number;
}

export interface DrainReport {
  /** False when the drain timeout cut requests that were still running. */
  readonly clean: boolean;
  /** Requests still running when the drain timeout expired. */
  readonly abandoned: number;
}

/** Drains the node; resolves once nothing is left open. Never throws. */
export async function drain(parts: DrainParts, timing: DrainTiming): Promise<DrainReport> {
  const { dataPlane, proxy, tunnels, log } = parts;
  dataPlane.startDraining();
  log.info({ deregistrationDelayMs: timing.deregistrationDelayMs }, 'draining: /readyz answers 503; still serving during the deregistration delay');
  if (timing.deregistrationDelayMs > 0) await sleep(timing.deregistrationDelayMs);

  const server = proxy.server;
  log.info({ inFlight: dataPlane.inFlight, tunnels: tunnels.size }, 'draining: no longer accepting connections; finishing requests in flight');
  const closed = proxy.close().catch((err: unknown) => log.error({ err }, 'closing the proxy listener failed'));
  server.closeIdleConnections();

  const deadline = Date.now() + timing.drainTimeoutMs;
  while (dataPlane.inFlight > 0 && Date.now() < deadline) {
    await sleep(DRAIN_POLL_MS);
    // Connections whose last response just finished are idle now.
    server.closeIdleConnections();
  }
  const abandoned = dataPlane.inFlight;
  if (abandoned > 0) log.warn({ abandoned, drainTimeoutMs: timing.drainTimeoutMs }, 'drain timeout: closing connections with requests still running');
  tunnels.closeAll();
  server.closeAllConnections();
  await closed;
  await dataPlane.close().catch((err: unknown) => log.error({ err }, 'closing upstream pools failed'));
  log.info({ clean: abandoned === 0 }, 'drained');
  return { clean: abandoned === 0, abandoned };
}
