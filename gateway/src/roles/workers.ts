/**
 * `workers > 1`: the cluster primary forks the proxy workers (node:cluster shares the proxy port),
 * serves the status listener itself (readiness of all workers, metrics aggregated over them), restarts
 * a worker that dies, and forwards SIGTERM so that every worker drains.
 */
import cluster, { type Worker } from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AggregatorRegistry, register } from 'prom-client';
import { buildStatusServer } from '../data-plane/status';
import type { ConfigObserver } from '../data-plane';
import type { GatehouseSettings } from '../settings';
import type { DataPlaneNode, GatewayNode } from './node';

/** IPC message a worker sends when a config version is applied. */
export const WORKER_READY_MESSAGE = 'gatehouse:worker-ready';

export interface WorkerReadyMessage {
  readonly type: typeof WORKER_READY_MESSAGE;
  readonly version: number;
}

export interface WorkerSupervisor {
  /** The status listener (not listening). */
  readonly status: FastifyInstance;
  /** Forks the workers (once the status listener listens, so a port clash leaves no worker behind). */
  start(): void;
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
    start() {
      for (let i = 0; i < settings.workers; i++) fork();
    },
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

/** The cluster primary as a node: its status listener; `listening()` forks the workers, `stop()` drains them all. */
export function clusterPrimaryNode(settings: GatehouseSettings, log: Logger, entry: string): GatewayNode {
  const supervisor = superviseWorkers(settings, log, entry);
  return {
    role: 'cluster-primary',
    status: supervisor.status,
    parts: [],
    listening: () => supervisor.start(),
    stop: async () => {
      log.info('stopping: draining every worker');
      const code = await supervisor.shutdown();
      await supervisor.status.close();
      return code;
    },
  };
}

/**
 * A cluster worker's side: it reports each applied version to the primary once it listens (ready =
 * serving), and answers the primary's metrics requests from its own registry.
 */
export class ClusterWorker {
  private listening = false;

  /** Passed to the node it runs, to hear about applied versions. */
  readonly observer: ConfigObserver = {
    applied: (meta) => this.listening && this.report(meta.version),
    rejected: () => undefined,
  };

  /** Wraps the worker's node: metrics answered to the primary, readiness reported once it listens. */
  attach(node: DataPlaneNode): GatewayNode {
    // Constructing an AggregatorRegistry is what makes a worker answer the primary's metrics requests.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([node.metrics.registry, register]);
    return Object.assign(node, {
      listening: () => {
        this.listening = true;
        if (node.dataPlane.currentVersion !== undefined) this.report(node.dataPlane.currentVersion);
      },
    });
  }

  private report(version: number): void {
    process.send?.({ type: WORKER_READY_MESSAGE, version } satisfies WorkerReadyMessage);
  }
}
