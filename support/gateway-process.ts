/**
 * Starts Gatehouse as a separate process, exactly as production runs it (`gateway/src/main.ts`), for
 * the tests and the bench alike. It lives outside `test/` because the bench must not import tests, and
 * outside `gateway/src` because it is not part of the product: it drives the gateway from outside
 * (environment, ports, signals, `/readyz`) and imports none of its code.
 *
 * Two levels: `spawnGateway` starts the process with the given environment and reads its JSON log
 * lines; `startGateway` adds what almost every caller wants (free ports on loopback, a temporary data
 * directory, an optional config file, quiet logs) and resolves once `/readyz` answers 200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from './free-port';

export const REPO_ROOT = join(__dirname, '..');
/** The gateway's entry, run from source through tsx. */
export const GATEWAY_SOURCE_ENTRY = join(REPO_ROOT, 'gateway', 'src', 'main.ts');
/** The gateway's entry as `npm run build` compiles it. */
export const GATEWAY_DIST_ENTRY = join(REPO_ROOT, 'dist', 'gateway', 'src', 'main.js');

/** How long `startGateway` waits for `/readyz` by default (tsx start-up on a loaded 2-core machine is slow). */
export const DEFAULT_READY_TIMEOUT_MS = 120_000;
/** How long `stop()` waits after its signal before it sends SIGKILL. */
export const STOP_GRACE_MS = 5_000;
const READY_POLL_MS = 100;

/** Every gateway process started here, killed if this process exits first (a failed test or an interrupted bench). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

/** Our environment minus every Gatehouse or store setting that could leak into the child, plus `env`. */
export function gatewayEnvironment(env: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL') out[k] = v;
  return { ...out, ...env };
}

export interface SpawnGatewayOptions {
  /** Settings and anything else for the child's environment, on top of ours (see `exactEnv`). */
  readonly env: Readonly<Record<string, string>>;
  /** `tsx` (default) runs the entry from source; `dist` runs a compiled entry with plain node. */
  readonly runtime?: 'tsx' | 'dist';
  /** Default: the source entry (tsx) or the `npm run build` output (dist). */
  readonly entry?: string;
  /** Extra node flags, for example `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
  /** Run as this numeric user and group (the tests run as root). */
  readonly uid?: number;
  readonly gid?: number;
  /** Give the child exactly `env` (plus PATH) instead of ours with `env` on top. */
  readonly exactEnv?: boolean;
  /**
   * `all` (default) parses and keeps every JSON line in `lines`; `until-started` stops at the start
   * line and only drains stdout after it, so a bench parsing a million access lines does not take CPU
   * from the gateway it measures.
   */
  readonly readLines?: 'all' | 'until-started';
}

/** A running gateway process. */
export interface GatewayChild {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Its JSON log lines from stdout, parsed, in order. */
  readonly lines: Record<string, unknown>[];
  /** Everything it wrote to stderr so far. */
  readonly stderr: string;
  /** Resolves with the bound ports once the "gatehouse started" line appears. */
  readonly started: Promise<{ proxyPort: number; statusPort: number }>;
  /** Resolves with the exit code once the process has exited and its output is fully read ('close', not 'exit'). */
  readonly exited: Promise<number | null>;
  /** SIGKILL, now. */
  kill(): void;
  /** Sends `signal` (SIGTERM by default: a graceful drain), then SIGKILL after a grace period; resolves once it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the gateway with `options.env`; it reads its settings from there. */
export function spawnGateway(options: SpawnGatewayOptions): GatewayChild {
  const runtime = options.runtime ?? 'tsx';
  const entry = options.entry ?? (runtime === 'dist' ? GATEWAY_DIST_ENTRY : GATEWAY_SOURCE_ENTRY);
  const flags = options.nodeFlags ?? [];
  const args = runtime === 'dist' ? [...flags, entry] : ['--import', 'tsx', ...flags, entry];
  const proc = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: options.exactEnv ? { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env } : gatewayEnvironment(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  if (proc.pid === undefined) throw new Error(`could not start the gateway (${process.execPath} ${args.join(' ')})`);
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let onStarted: (ports: { proxyPort: number; statusPort: number }) => void = () => undefined;
  const started = new Promise<{ proxyPort: number; statusPort: number }>((resolve) => (onStarted = resolve));
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  let buffered = '';
  let reading = true;
  proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
    if (!reading) return;
    buffered += text;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(parsed);
      if (parsed.msg === 'gatehouse started') {
        onStarted({ proxyPort: Number(parsed.proxyPort), statusPort: Number(parsed.statusPort) });
        if (options.readLines === 'until-started') {
          reading = false;
          buffered = '';
          return;
        }
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    pid: proc.pid,
    lines,
    get stderr() {
      return stderr;
    },
    started,
    exited,
    kill: () => {
      if (alive()) proc.kill('SIGKILL');
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!alive()) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface StartGatewayOptions extends Omit<SpawnGatewayOptions, 'env' | 'exactEnv'> {
  /** `GATEHOUSE_ROLE`; default `data-plane`. */
  readonly role?: 'data-plane' | 'standalone' | 'control-plane';
  /** A config document, written to a temporary JSON file that `GATEHOUSE_CONFIG` names. */
  readonly config?: unknown;
  /** More settings, on top of the defaults here (e.g. DATABASE_URL, REDIS_URL, NODE_ENV). */
  readonly env?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
}

/** A gateway started by `startGateway`, ready. */
export interface RunningGateway {
  readonly child: GatewayChild;
  readonly proxyPort: number;
  readonly statusPort: number;
  readonly adminPort: number;
  /** `http://127.0.0.1:<proxy port>`. */
  readonly origin: string;
  /** The status listener (`/readyz`, `/metrics`). */
  readonly statusOrigin: string;
  /** Milliseconds from spawn to `/readyz` 200. */
  readonly readyMs: number;
  /** Stops it gracefully (SIGTERM; profiles are written on exit) and removes its temporary files. */
  stop(): Promise<void>;
}

/** Starts a gateway on free loopback ports with a temporary data directory and quiet logs; resolves once `/readyz` is 200. */
export async function startGateway(options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-process-'));
  const [proxyPort, statusPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const env: Record<string, string> = {
    GATEHOUSE_ROLE: options.role ?? 'data-plane',
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
  };
  if (options.config !== undefined) {
    env.GATEHOUSE_CONFIG = join(dir, 'config.json');
    writeFileSync(env.GATEHOUSE_CONFIG, JSON.stringify(options.config));
  }
  const begun = Date.now();
  const child = spawnGateway({ ...options, env: { ...env, ...options.env } });
  const stop = async (): Promise<void> => {
    await child.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const statusOrigin = `http://127.0.0.1:${statusPort}`;
  try {
    await untilReady(`${statusOrigin}/readyz`, child, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, proxyPort, statusPort, adminPort, origin: `http://127.0.0.1:${proxyPort}`, statusOrigin, readyMs: Date.now() - begun, stop };
}

/** Polls `url` until it answers 200; fails when the child exits first or the deadline passes, with its stderr. */
async function untilReady(url: string, child: GatewayChild, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null)
      throw new Error(`the gateway exited (code ${String(child.proc.exitCode)}) before ${url} answered 200:\n${child.stderr.slice(-4_000)}`);
    const ok = await request(url, { headersTimeout: 2_000 })
      .then(async (r) => (await r.body.dump(), r.statusCode === 200))
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${child.stderr.slice(-4_000)}`);
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
}

/** Rejects when `promise` takes longer than `ms`, so a hung process fails its caller with a reason. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]);
}
