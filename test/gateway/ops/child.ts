/** Runs `gateway/src/main.ts` as a child process (`node --import tsx`), as production would run it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const MAIN = join(REPO_ROOT, 'gateway', 'src', 'main.ts');

export interface GatehouseChild {
  readonly proc: ChildProcess;
  /** JSON log lines from stdout. */
  readonly lines: Record<string, unknown>[];
  stderr: string;
  /** Resolves with the bound ports once the "gatehouse started" line appears. */
  readonly started: Promise<{ proxyPort: number; statusPort: number }>;
  /** Resolves with the exit code once the process has exited and its output is fully read ('close', not 'exit'). */
  readonly exited: Promise<number | null>;
  kill(): void;
}

/** Environment for the child: ours minus any Gatehouse or store setting, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL') out[k] = v;
  return { ...out, ...env };
}

/** How the child runs, beyond its settings. */
export interface SpawnOptions {
  /** Run as this numeric user and group (the tests run as root). */
  readonly uid?: number;
  readonly gid?: number;
  /** Give the child exactly `env` (plus PATH) instead of ours with `env` on top. */
  readonly exactEnv?: boolean;
}

export function spawnGatehouse(env: Record<string, string>, entry = MAIN, options: SpawnOptions = {}): GatehouseChild {
  const childEnvironment = options.exactEnv ? { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } : childEnv(env);
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: childEnvironment,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const lines: Record<string, unknown>[] = [];
  const child = { proc, lines, stderr: '' } as GatehouseChild & { stderr: string };
  let onStarted: (ports: { proxyPort: number; statusPort: number }) => void;
  let buffered = '';
  (child as { started: Promise<unknown> }).started = new Promise((resolve) => (onStarted = resolve));
  (child as { exited: Promise<number | null> }).exited = new Promise((resolve) => proc.once('close', (code) => resolve(code)));
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (text: string) => {
    buffered += text;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.msg === 'gatehouse started') onStarted({ proxyPort: Number(parsed.proxyPort), statusPort: Number(parsed.statusPort) });
    }
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (text: string) => (child.stderr += text));
  child.kill = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  return child;
}

/** Rejects when `promise` takes longer than `ms` (so a hung child fails the test with a reason). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]);
}
