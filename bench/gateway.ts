/**
 * The gateway under test, driven as a black box: a child process (data-plane or standalone role) with a config file
 * the bench writes, free ports, no access log, and readiness taken from its status listener's `/readyz`
 * (started by `support/gateway-process.ts`, which the tests use too), and the dist/ build it may run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_DIST_ENTRY, GATEWAY_SOURCE_ENTRY, REPO_ROOT, startGateway as startGatewayProcess, type RunningGateway } from '../support/gateway-process';

export { GATEWAY_DIST_ENTRY, GATEWAY_SOURCE_ENTRY, type RunningGateway };

/** How the gateway is run: TypeScript through tsx, or the compiled output of `npm run build`. */
export type GatewayRuntime = 'tsx' | 'dist';
/**
 * The role it runs: `data-plane` (the proxy alone, reading the config file: what serves traffic in
 * production) or `standalone` (the same proxy plus the admin API and the embedded PGlite store).
 */
export type GatewayRole = 'data-plane' | 'standalone';

export interface GatewayOptions {
  readonly runtime: GatewayRuntime;
  readonly role: GatewayRole;
  /** The config document (routes, upstreams, ...), written to a temporary JSON file. */
  readonly config: unknown;
  /** Extra node flags, for example `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
  /** Settings over the bench's (`GATEHOUSE_ACCESS_LOG: 'true'` for the shipped default, `GATEHOUSE_WORKERS`, `REDIS_URL`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Another compiled entry to run instead of dist/ (an experimental or baseline build), runtime dist only. */
  readonly entry?: string;
}

const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const BUILD_TIMEOUT_MS = 300_000;

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure dist/ holds a build of the current gateway sources (`npm run build` when missing or
 * older than a source file). Type errors do not stop the build from emitting, so they only warn.
 */
export function ensureBuilt(log: (message: string) => void): void {
  const sources = join(REPO_ROOT, 'gateway', 'src');
  if (existsSync(GATEWAY_DIST_ENTRY) && statSync(GATEWAY_DIST_ENTRY).mtimeMs >= newestMtimeMs(sources)) return;
  log('building the gateway into dist/ (tsc -p tsconfig.build.json)');
  try {
    execFileSync(process.execPath, [TSC, '-p', join(REPO_ROOT, 'tsconfig.build.json')], { cwd: REPO_ROOT, stdio: 'pipe', timeout: BUILD_TIMEOUT_MS });
  } catch (err) {
    const output = String((err as { stdout?: Buffer }).stdout ?? '').trim();
    if (!existsSync(GATEWAY_DIST_ENTRY)) throw new Error(`the gateway build failed:\n${output}`);
    log(`the build reported errors but emitted dist/; measuring it anyway:\n${output.split('\n').slice(0, 10).join('\n')}`);
  }
}

/** Whether the gateway's entry exists for that runtime (it may not yet while the gateway is being written). */
export function gatewayAvailable(runtime: GatewayRuntime): boolean {
  return existsSync(runtime === 'dist' ? GATEWAY_DIST_ENTRY : GATEWAY_SOURCE_ENTRY);
}

/** Starts the gateway (a config file, free ports, no access log unless `env` says so, `NODE_ENV=production`) and waits until it is ready. */
export function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const entry = options.runtime === 'dist' ? (options.entry ?? GATEWAY_DIST_ENTRY) : GATEWAY_SOURCE_ENTRY;
  return startGatewayProcess({ runtime: options.runtime, role: options.role, config: options.config, nodeFlags: options.nodeFlags, entry, env: { NODE_ENV: 'production', ...options.env }, readLines: 'until-started' });
}

/** A config document with one upstream (`bench`) at the given port and the given routes. */
export function benchConfig(upstreamPort: number, routes: readonly object[]): object {
  return {
    upstreams: [{ id: 'bench', targets: [{ host: '127.0.0.1', port: upstreamPort }] }],
    routes,
  };
}

/** The one-route config: every path to the bench upstream, no plugins. */
export function oneRouteConfig(upstreamPort: number): object {
  return benchConfig(upstreamPort, [{ id: 'all', paths: ['/*'], upstream: 'bench' }]);
}
