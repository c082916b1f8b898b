/** A throwaway database on the bench machine's PostgreSQL (BENCH_DATABASE_URL, default 127.0.0.1:5432). */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 5_000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${SERVER_URL} (${(err as Error).message}); start it or set BENCH_DATABASE_URL.`);
  }
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Creates a fresh database; `drop` removes it. */
export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const name = `gh_bench_${label}_${randomBytes(3).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Median of timed runs of `fn`, in milliseconds. */
export async function timeMs(fn: () => unknown, runs = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return percentile(times, 50);
}
