/**
 * Latency at a fixed request rate, with h2load (`h2load --h1 --rps`, Debian's nghttp2-client): wrk
 * and autocannon send as fast as answers come back, so they cannot hold a rate, and their latency
 * under saturation is mostly queueing. h2load writes every request's time in microseconds to a log
 * file; the percentiles are computed from it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs } from './cpu';

/** Clients h2load spreads the rate over (each sends `rate / clients` per second on its connection). */
export const FIXED_RATE_CLIENTS = 16;

export interface FixedRateResult {
  readonly rate: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers other than 2xx, and requests h2load could not complete. */
  readonly errors: number;
  readonly cpuUsPerRequest?: number;
}

/** Whether h2load is on PATH. */
export function h2loadAvailable(): boolean {
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Sends `rate` requests/s to `url` for `durationS` seconds (after `warmupS`), with `headers`. */
export async function fixedRate(url: string, rate: number, durationS: number, warmupS: number, headers: Readonly<Record<string, string>>, serverPid?: number): Promise<FixedRateResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-h2load-'));
  const logFile = join(dir, 'requests.tsv');
  const perClient = Math.max(1, Math.round(rate / FIXED_RATE_CLIENTS));
  const args = ['--h1', '-c', String(FIXED_RATE_CLIENTS), '--rps', String(perClient), '-D', `${durationS}s`, '--warm-up-time', `${warmupS}s`, `--log-file=${logFile}`];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  try {
    // CPU is read over warm-up and measurement together, while h2load logs only the measured
    // requests; the rate is fixed, so the CPU is scaled by the measured share of the time.
    const cpuBefore = serverPid === undefined ? undefined : cpuMs(serverPid);
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('h2load', args, { timeout: (durationS + warmupS + 30) * 1_000, maxBuffer: 16 * 1024 * 1024 }, (err, out, stderr) =>
        err ? reject(new Error(`h2load failed: ${err.message}\n${stderr}`)) : resolve(out),
      ),
    );
    const cpuAfter = serverPid === undefined ? undefined : cpuMs(serverPid);
    const times: number[] = [];
    let errors = 0;
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (!line) continue;
      const [, status, us] = line.split('\t');
      if (!status || !status.startsWith('2')) errors++;
      times.push(Number(us) / 1_000);
    }
    const failed = /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/.exec(stdout);
    errors = Math.max(errors, failed ? Number(failed[1]) : 0);
    times.sort((a, b) => a - b);
    const cpuUsPerRequest =
      cpuBefore !== undefined && cpuAfter !== undefined && times.length ? ((cpuAfter - cpuBefore) * 1_000 * durationS) / ((durationS + warmupS) * times.length) : undefined;
    return { rate: perClient * FIXED_RATE_CLIENTS, requests: times.length, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), errors, cpuUsPerRequest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
