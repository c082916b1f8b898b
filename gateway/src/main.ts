/**
 * The Gatehouse process: loads settings, starts the role, listens, traps signals, exits. The only
 * place that does any of those.
 *
 * Exit codes: 0 after a clean drain (SIGTERM/SIGINT); 1 when settings or the start-up config are
 * invalid (a file-driven node has no other source to wait for), when a listener cannot bind, or when
 * the drain timeout cut requests short.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { LevelWithSilent, Logger } from 'pino';
import { readConfigFile, type ConfigFile } from './sync/file-source';
import { type PluginRegistry } from './plugins/contract';
import { formatProblems, GatehouseError } from './core/errors';
import { createLogger } from './core/logger';
import { startNode, type GatewayNode } from './roles';
import { envName, loadSettings, type GatehouseSettings } from './settings';

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

const portOf = (server: FastifyInstance | undefined): number | undefined => (server ? (server.server.address() as AddressInfo).port : undefined);

/** The one run loop: listen on every listener the node has, then hand SIGHUP to `reload()` and SIGTERM/SIGINT to `stop()`, once. */
async function run(node: GatewayNode, settings: GatehouseSettings, log: Logger): Promise<void> {
  try {
    await node.proxy?.listen({ host: settings.proxyHost, port: settings.proxyPort });
    await node.status?.listen({ host: settings.statusHost, port: settings.statusPort });
    await node.admin?.listen({ host: settings.adminHost, port: settings.adminPort });
    node.listening?.();
  } catch (err) {
    return fail('cannot start:', err);
  }
  const primary = node.role === 'cluster-primary';
  log.info(
    {
      role: node.role,
      ...(primary ? { workers: settings.workers } : {}),
      proxyPort: portOf(node.proxy),
      // A cluster worker's status is served by its primary.
      statusPort: portOf(node.status) ?? 'primary',
      adminPort: portOf(node.admin),
      version: node.dataPlane?.currentVersion,
    },
    primary ? 'gatehouse primary started' : 'gatehouse started',
  );
  if (node.reload) process.on('SIGHUP', () => node.reload?.());
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const code = await node.stop();
    log.flush?.();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Starts Gatehouse as the settings say. */
export async function main(options: MainOptions = {}): Promise<void> {
  const settings = settingsFrom(options.env ?? process.env);
  const log = createLogger(settings.logLevel as LevelWithSilent);
  let node: GatewayNode;
  try {
    node = await startNode({ settings, log, plugins: options.plugins, entry: __filename });
  } catch (err) {
    return fail('cannot start:', err);
  }
  return run(node, settings, log);
}

if (require.main === module) void main();
