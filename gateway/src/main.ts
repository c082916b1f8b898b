/**
 * The Gatehouse process: loads settings, starts the role, listens, traps signals, exits. The only
 * place that does any of those.
 *
 * Exit codes: 0 after a clean drain (SIGTERM/SIGINT); 1 when settings or the start-up config are
 * invalid (a file-driven node has no other source to wait for), when a listener cannot bind, or when
 * the drain timeout cut requests short.
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { LevelWithSilent, Logger } from 'pino';
import { readConfigFile, type ConfigFile } from './sync/file-source';
import { drain } from './data-plane';
import { type PluginRegistry } from './plugins/contract';
import { formatProblems, GatehouseError } from './core/errors';
import { createLogger } from './core/logger';
import { createPluginRegistry, createPluginServices } from './plugins';
import { startControlPlane, startDataPlane, startStandalone, superviseWorkers, WORKER_READY_MESSAGE, type DataPlaneNode, type NodeOptions } from './roles';
import { envName, loadSettings, type GatehouseSettings } from './settings';
import { AggregatorRegistry, Registry } from 'prom-client';

/** What a caller (tests, the demo launcher, a build with plugins) may pass in. */
export interface MainOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The plugin registry; default: the built-in plugins with services from the settings. */
  readonly plugins?: PluginRegistry;
}

function fail(message: string, err?: unknown): never {
  const problems = err instanceof GatehouseError && err.problems.length ? `\n${formatProblems(err.problems)}` : '';
  const detail = err instanceof Error ? ` ${err.message}` : '';
  process.stderr.write(`gatehouse: ${message}${detail}${problems}\n`);
  process.exit(1);
}

/** Settings from the config file's `settings:` section and the environment; exits 1 when invalid. */
function settingsFrom(env: NodeJS.ProcessEnv): GatehouseSettings {
  const file = env[envName('configFile')];
  let parsed: ConfigFile | undefined;
  try {
    if (file) parsed = readConfigFile(file);
    return loadSettings(parsed?.settings ?? {}, env);
  } catch (err) {
    return fail('cannot start:', err);
  }
}

async function startRole(options: NodeOptions): Promise<DataPlaneNode> {
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

/** Runs one node in this process (no workers, or a cluster worker). */
async function runNode(settings: GatehouseSettings, log: Logger, options: MainOptions): Promise<void> {
  const worker = cluster.isWorker;
  let listening = false;
  const reportVersion = (version: number): void => void process.send?.({ type: WORKER_READY_MESSAGE, version });
  // One registry for the node: the built-in plugins' services (the rate-limit store: Redis when
  // REDIS_URL is set) declare their metrics on it too.
  const registry = new Registry();
  const services = options.plugins ? undefined : createPluginServices(settings, log, registry);
  let node: DataPlaneNode;
  try {
    node = await startRole({
      settings,
      log,
      plugins: options.plugins ?? createPluginRegistry(services),
      status: !worker,
      registry,
      // A worker reports each applied version to the primary, once it listens (ready = serving).
      observer: worker ? { applied: (meta) => listening && reportVersion(meta.version), rejected: () => undefined } : undefined,
    });
    if (worker) {
      // Constructing an AggregatorRegistry is what makes a worker answer the primary's metrics requests.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([registry]);
    }
    await node.proxy.listen({ host: settings.proxyHost, port: settings.proxyPort });
    if (node.status) await node.status.listen({ host: settings.statusHost, port: settings.statusPort });
    if (node.admin) await node.admin.listen({ host: settings.adminHost, port: settings.adminPort });
    listening = true;
    if (worker && node.dataPlane.currentVersion !== undefined) reportVersion(node.dataPlane.currentVersion);
  } catch (err) {
    return fail('cannot start:', err);
  }
  log.info(
    {
      role: settings.role,
      proxyPort: (node.proxy.server.address() as AddressInfo).port,
      statusPort: node.status ? (node.status.server.address() as AddressInfo).port : 'primary',
      version: node.dataPlane.currentVersion,
    },
    'gatehouse started',
  );
  const reload = (): void => {
    for (const part of node.parts) if ('reload' in part && typeof part.reload === 'function') void part.reload();
  };
  process.on('SIGHUP', reload);
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    for (const part of [...node.parts].reverse()) await part.close().catch((err: unknown) => log.error({ err }, 'stopping a config source failed'));
    const report = await drain(node, settings);
    await node.tracing?.close().catch((err: unknown) => log.error({ err }, 'exporting the last traces failed'));
    await services?.close();
    await node.status?.close();
    log.flush?.();
    process.exit(report.clean ? 0 : 1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Role `control-plane`: the admin API and status listeners; no proxy. */
async function runControlPlane(settings: GatehouseSettings, log: Logger, options: MainOptions): Promise<void> {
  let node: Awaited<ReturnType<typeof startControlPlane>>;
  try {
    // The plugin catalogue checks plugin configs on write, exactly as data planes will.
    node = await startControlPlane({ settings, log, plugins: options.plugins ?? createPluginRegistry() });
    await node.admin.listen({ host: settings.adminHost, port: settings.adminPort });
    await node.status.listen({ host: settings.statusHost, port: settings.statusPort });
  } catch (err) {
    return fail('cannot start:', err);
  }
  log.info({ role: settings.role, admin: `${settings.adminHost}:${settings.adminPort}`, status: `${settings.statusHost}:${settings.statusPort}` }, 'gatehouse started');
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    for (const part of [...node.parts].reverse()) await part.close().catch((err: unknown) => log.error({ err }, 'stopping a control-plane part failed'));
    await node.status.close();
    log.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** The cluster primary: workers serve the proxy, the primary serves status. */
async function runPrimary(settings: GatehouseSettings, log: Logger): Promise<void> {
  const supervisor = superviseWorkers(settings, log, __filename);
  try {
    await supervisor.status.listen({ host: settings.statusHost, port: settings.statusPort });
  } catch (err) {
    await supervisor.shutdown();
    return fail('cannot start:', err);
  }
  log.info({ workers: settings.workers, statusPort: (supervisor.status.server.address() as AddressInfo).port }, 'gatehouse primary started');
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: draining every worker');
    const code = await supervisor.shutdown();
    await supervisor.status.close();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Starts Gatehouse as the settings say. */
export async function main(options: MainOptions = {}): Promise<void> {
  const settings = settingsFrom(options.env ?? process.env);
  const log = createLogger(settings.logLevel as LevelWithSilent);
  if (settings.role === 'control-plane') return runControlPlane(settings, log, options);
  if (settings.workers > 1 && cluster.isPrimary) return runPrimary(settings, log);
  return runNode(settings, log, options);
}

if (require.main === module) void main();
