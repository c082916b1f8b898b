/**
 * The one load generator every target is measured with: wrk when installed (latency distribution from
 * `--latency`), else autocannon in its own process. Fixed connections and duration; a warm-up run whose
 * figures are dropped, then the measured run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './children';
import { cpuMs } from './cpu';

export type LoadTool = 'wrk' | 'autocannon';

export interface LoadOptions {
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly tool: LoadTool;
  /** Request headers every request carries (an API key). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  readonly tool: LoadTool;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors, timeouts and non-2xx/3xx answers: any of them makes the run suspect. */
  readonly errors: number;
  /** CPU time the measured server process used per request, microseconds (when its pid is known). */
  readonly cpuUsPerRequest?: number;
}

const AUTOCANNON_CLI = join(REPO_ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const WRK_THREADS = 1;
const OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;

/** wrk when it is on PATH, else autocannon. */
export function defaultTool(): LoadTool {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return 'wrk';
  } catch (err) {
    // `wrk --version` prints its usage and exits 1; only a missing binary throws ENOENT.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'autocannon' : 'wrk';
  }
}

function run(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: OUTPUT_LIMIT_BYTES, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

function wrkDuration(text: string, label: string): number {
  const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(text);
  if (!m) throw new Error(`could not read the ${label} latency from wrk's output:\n${text}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Reads requests/s, p50, p99 and errors from `wrk --latency` output. */
export function parseWrk(text: string): LoadResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const total = /(\d+) requests in/.exec(text);
  if (!rps || !total) throw new Error(`could not read wrk's output:\n${text}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const errors = (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { tool: 'wrk', requests: Number(total[1]), rps: Number(rps[1]), p50Ms: wrkDuration(text, '50%'), p99Ms: wrkDuration(text, '99%'), errors };
}

interface AutocannonJson {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Reads the figures from autocannon's `-j` JSON output. */
export function parseAutocannon(text: string): LoadResult {
  const json = JSON.parse(text) as AutocannonJson;
  return {
    tool: 'autocannon',
    requests: json.requests.total,
    rps: json.requests.total / json.duration,
    p50Ms: json.latency.p50,
    p99Ms: json.latency.p99,
    errors: json.errors + json.timeouts + json.non2xx,
  };
}

async function once(url: string, connections: number, durationS: number, tool: LoadTool, headers: Readonly<Record<string, string>> = {}): Promise<LoadResult> {
  const timeoutMs = (durationS + 30) * 1_000;
  const named = Object.entries(headers);
  if (tool === 'wrk') {
    const args = ['-t', String(WRK_THREADS), '-c', String(connections), '-d', `${durationS}s`, '--latency', ...named.flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
    return parseWrk(await run('wrk', args, timeoutMs));
  }
  const args = [AUTOCANNON_CLI, '-j', '-c', String(connections), '-d', String(durationS), ...named.flatMap(([k, v]) => ['-H', `${k}=${v}`]), url];
  return parseAutocannon(await run(process.execPath, args, timeoutMs));
}

/**
 * Measures `url` (after a warm-up unless `warmUp` is false: later rounds on the same, already warm
 * server skip it); with `serverPid`, also the server's CPU time per request.
 */
export async function measure(url: string, options: LoadOptions, serverPid?: number, warmUp = true): Promise<LoadResult> {
  if (warmUp && options.warmupS > 0) await once(url, options.connections, options.warmupS, options.tool, options.headers);
  const cpuBefore = serverPid === undefined ? undefined : cpuMs(serverPid);
  const result = await once(url, options.connections, options.durationS, options.tool, options.headers);
  const cpuAfter = serverPid === undefined ? undefined : cpuMs(serverPid);
  if (cpuBefore === undefined || cpuAfter === undefined || !result.requests) return result;
  return { ...result, cpuUsPerRequest: ((cpuAfter - cpuBefore) * 1_000) / result.requests };
}
