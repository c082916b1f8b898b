/**
 * `workers > 1`: the cluster primary forks the proxy workers (node:cluster shares the proxy port),
 * serves the status listener itself (readiness of all workers, metrics aggregated over them), restarts
 * a worker that dies, and forwards SIGTERM so that every worker drains.
 */
import cluster, { type Worker } from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { buildStatusServer } from '../data-plane/status';
import type { GatehouseSettings } from '../settings';

/** IPC message a worker sends when a config version is applied. */
export const WORKER_READY_MESSAGE = 'gatehouse:worker-ready';

export interface WorkerReadyMessage {
  readonly type: typeof WORKER_READY_MESSAGE;
  readonly version: number;
}

export interface WorkerSupervisor {
  /** The status listener (not listening). */
  readonly status: FastifyInstance;
  /** SIGTERMs every worker and waits for all to exit; resolves to the exit code the primary should use. */
  shutdown(): Promise<number>;
}

/** Forks `settings.workers` workers running `entry` and supervises them. */
export function superviseWorkers(settings: GatehouseSettings, log: Logger, entry: string): WorkerSupervisor {
  cluster.setupPrimary({ exec: entry });
  const aggregator = new AggregatorRegistry();
  const versions = new Map<number, number | undefined>();
  let draining = false;
  let worstExit = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    versions.set(worker.id, undefined);
    worker.on('message', (message: Partial<WorkerReadyMessage>) => {
      if (message?.type === WORKER_READY_MESSAGE && typeof message.version === 'number') versions.set(worker.id, message.version);
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    versions.delete(worker.id);
    if (draining) {
      if (code !== 0) worstExit = 1;
      return;
    }
    log.error({ worker: worker.id, code, signal }, 'worker exited unexpectedly; starting a new one');
    fork();
  });
  for (let i = 0; i < settings.workers; i++) fork();

  const status = buildStatusServer({
    readiness: () => {
      if (draining) return { ready: false, reason: 'draining' };
      const known = [...versions.values()];
      const loaded = known.filter((v): v is number => v !== undefined);
      const version = loaded.length ? Math.min(...loaded) : undefined;
      if (known.length < settings.workers || loaded.length < known.length)
        return { ready: false, reason: `${loaded.length} of ${settings.workers} workers have a config loaded`, version };
      return { ready: true, version };
    },
    metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
  });

  return {
    status,
    async shutdown() {
      draining = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      const exits = workers.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
      for (const w of workers) w.process.kill('SIGTERM');
      await Promise.all(exits);
      return worstExit;
    },
  };
}
