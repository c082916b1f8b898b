/**
 * The gateway under test, driven as a black box: a child process (data-plane or standalone role) with a config file
 * the bench writes, free ports, no access log, and readiness taken from its status listener's `/readyz`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, spawnChild, tsNodeArgs, waitForStatus, type BenchChild } from './children';

/** How the gateway is run: TypeScript through tsx, or the compiled output of `npm run build`. */
export type GatewayRuntime = 'tsx' | 'dist';
/**
 * The role it runs: `data-plane` (the proxy alone, reading the config file: what serves traffic in
 * production) or `standalone` (the same proxy plus the admin API and the embedded PGlite store).
 */
export type GatewayRole = 'data-plane' | 'standalone';

export const GATEWAY_SOURCE_ENTRY = join(REPO_ROOT, 'gateway', 'src', 'main.ts');
export const GATEWAY_DIST_ENTRY = join(REPO_ROOT, 'dist', 'gateway', 'src', 'main.js');
const GATEWAY_READY_TIMEOUT_MS = 120_000;

export interface GatewayOptions {
  readonly runtime: GatewayRuntime;
  readonly role: GatewayRole;
  /** The config document (routes, upstreams, ...), written to a temporary JSON file. */
  readonly config: unknown;
  /** Extra node flags, for example `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
  /** Another compiled entry to run instead of dist/ (an experimental or baseline build), runtime dist only. */
  readonly entry?: string;
  /** Extra settings as environment variables (for example tracing on). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunningGateway {
  readonly child: BenchChild;
  readonly proxyPort: number;
  readonly statusPort: number;
  /** Milliseconds from spawn to `/readyz` 200. */
  readonly readyMs: number;
  /** Stops it gracefully (SIGTERM; profiles are written on exit) and removes its temporary files. */
  stop(): Promise<void>;
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

/** Environment for the child: the caller's, minus every store or Gatehouse setting that could leak in. */
function childEnvironment(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('GATEHOUSE_') || key === 'DATABASE_URL' || key === 'REDIS_URL') continue;
    env[key] = value;
  }
  return { ...env, NODE_ENV: 'production', ...overrides };
}

/** Starts the gateway and waits until it is ready. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-gw-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(options.config));
  const [proxyPort, statusPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const env = childEnvironment({
    GATEHOUSE_ROLE: options.role,
    GATEHOUSE_CONFIG: configFile,
    GATEHOUSE_PROXY_HOST: '127.0.0.1',
    GATEHOUSE_PROXY_PORT: String(proxyPort),
    GATEHOUSE_STATUS_HOST: '127.0.0.1',
    GATEHOUSE_STATUS_PORT: String(statusPort),
    GATEHOUSE_ADMIN_PORT: String(adminPort),
    GATEHOUSE_ACCESS_LOG: 'false',
    GATEHOUSE_LOG_LEVEL: 'warn',
    GATEHOUSE_DATA_DIR: join(dir, 'data'),
    GATEHOUSE_DEREGISTRATION_DELAY_MS: '0',
    GATEHOUSE_DRAIN_TIMEOUT_MS: '2000',
    ...options.env,
  });
  const flags = options.nodeFlags ?? [];
  const args = options.runtime === 'dist' ? [...flags, options.entry ?? GATEWAY_DIST_ENTRY] : tsNodeArgs(GATEWAY_SOURCE_ENTRY, flags);
  const started = Date.now();
  const child = spawnChild('gateway', process.execPath, args, { cwd: REPO_ROOT, env });
  // The gateway logs to stdout; keep the pipe drained so it never blocks on a full buffer.
  child.proc.stdout?.resume();
  const stop = async (): Promise<void> => {
    await child.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForStatus(`http://127.0.0.1:${statusPort}/readyz`, 200, child, GATEWAY_READY_TIMEOUT_MS);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, proxyPort, statusPort, readyMs: Date.now() - started, stop };
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
