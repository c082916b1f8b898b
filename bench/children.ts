/**
 * Child processes of the bench: each measured server runs in its own process so that it never shares
 * an event loop with the load generator or with another server. Every child is registered and killed
 * when the bench exits, whatever the reason, so no server (nginx included) is ever left running.
 * The gateway itself is started by `support/gateway-process.ts` (shared with the tests), which kills
 * its children on exit the same way.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export { freePort } from '../support/free-port';

export const BENCH_DIR = __dirname;
export const REPO_ROOT = join(__dirname, '..');

const STOP_GRACE_MS = 5_000;
const READY_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;

/** A running child process owned by the bench. */
export interface BenchChild {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Stops the child (signal, then SIGKILL after a grace period) and waits for its exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Last lines the child wrote to stderr, for error messages. */
  stderrTail(): string;
}

const running = new Set<ChildProcess>();

function killAllSync(): void {
  for (const proc of running) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAllSync();
    process.exit(130);
  });
}

/** Starts a process, keeps the tail of its stderr, and registers it for cleanup. */
export function spawnChild(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): BenchChild {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  running.add(proc);
  const tail: string[] = [];
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    tail.push(chunk);
    if (tail.length > 40) tail.shift();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('exit', () => running.delete(proc));
  return {
    name,
    proc,
    pid: proc.pid,
    stderrTail: () => tail.join('').slice(-4_000),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Arguments that run a TypeScript file of the bench with tsx (transpile only, same speed as compiled JS). */
export function tsNodeArgs(file: string, extra: readonly string[] = []): string[] {
  return ['--import', 'tsx', ...extra, file];
}

/**
 * Starts one of the bench's own servers (`upstream.ts`, `bare-proxy.ts`), which prints one JSON line
 * `{"port": n}` on stdout once it listens.
 */
export async function startBenchServer(
  file: string,
  args: readonly string[] = [],
  nodeFlags: readonly string[] = [],
): Promise<{ child: BenchChild; port: number }> {
  const child = spawnChild(file, process.execPath, [...tsNodeArgs(join(BENCH_DIR, file), nodeFlags), ...args], { cwd: REPO_ROOT });
  const lines = createInterface({ input: child.proc.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not report its port within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with code ${String(code)} before listening:\n${child.stderrTail()}`));
    });
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { port?: unknown };
        if (typeof parsed.port === 'number') {
          clearTimeout(timer);
          resolve(parsed.port);
        }
      } catch {
        // not the ready line
      }
    });
  });
  return { child, port };
}

/** One GET; resolves with the status code, or undefined when the connection fails. */
export function httpStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
    req.end();
  });
}

/** Waits until `url` answers `status`, failing if `child` exits first or the deadline passes. */
export async function waitForStatus(url: string, status: number, child: BenchChild, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`${child.name} exited (code ${String(child.proc.exitCode)}) before ${url} answered ${status}:\n${child.stderrTail()}`);
    }
    if ((await httpStatus(url)) === status) return;
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms:\n${child.stderrTail()}`);
}
