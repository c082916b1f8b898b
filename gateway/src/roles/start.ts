/**
 * Which node this process runs, as the settings say: the control plane, the cluster primary
 * (`workers > 1`), or a data-plane node (roles `data-plane` and `standalone`, alone or as a cluster
 * worker) with the built-in plugins and their shared services. Every branch returns the same node
 * shape, which `main.ts` runs.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { GatehouseError } from '../core/errors';
import { createPluginRegistry, createPluginServices } from '../plugins';
import type { PluginRegistry } from '../plugins/contract';
import { envName, type GatehouseSettings } from '../settings';
import { startControlPlane } from './control-plane';
import { startDataPlane } from './data-plane';
import type { DataPlaneNode, GatewayNode, NodeOptions } from './node';
import { startStandalone } from './standalone';
import { ClusterWorker, clusterPrimaryNode } from './workers';

export interface StartNodeOptions {
  readonly settings: GatehouseSettings;
  readonly log: Logger;
  /** The plugin registry; default: the built-in plugins with services from the settings. */
  readonly plugins?: PluginRegistry;
  /** The file the cluster primary forks its workers from (`main.ts`). */
  readonly entry: string;
}

function startDataPlaneRole(options: NodeOptions): Promise<DataPlaneNode> {
  switch (options.settings.role) {
    case 'standalone':
      return startStandalone(options);
    case 'data-plane':
      return startDataPlane(options);
    default:
      throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
        { path: '/settings/role', message: `role "${options.settings.role}" is not available in this build.`, fix: `set ${envName('role')} to standalone or data-plane.` },
      ]);
  }
}

/** Starts the node this process runs (nothing listens yet). */
export async function startNode(options: StartNodeOptions): Promise<GatewayNode> {
  const { settings, log } = options;
  // The plugin catalogue checks plugin configs on write, exactly as data planes will.
  if (settings.role === 'control-plane') return startControlPlane({ settings, log, plugins: options.plugins ?? createPluginRegistry() });
  if (settings.workers > 1 && cluster.isPrimary) return clusterPrimaryNode(settings, log, options.entry);
  const worker = cluster.isWorker ? new ClusterWorker() : undefined;
  // The built-in plugins with their shared services (the rate-limit store: Redis when REDIS_URL is set).
  const services = options.plugins ? undefined : createPluginServices(settings, log);
  const node = await startDataPlaneRole({
    settings,
    log,
    plugins: options.plugins ?? createPluginRegistry(services),
    status: !worker,
    observer: worker?.observer,
  }).catch(async (err: unknown) => {
    await services?.close();
    throw err;
  });
  const stop = node.stop;
  // In-flight requests may still use the services while the node drains: they close after it.
  const served = Object.assign(node, {
    stop: async () => {
      const code = await stop();
      await services?.close();
      return code;
    },
  });
  return worker ? worker.attach(served) : served;
}
