/**
 * Measures, in its own process, how long validating and compiling a large route table takes, by
 * importing the gateway's `validateConfig` and `compileSnapshot` directly, and how long one route match
 * takes on it and on a table holding only the matching route. Prints one JSON line.
 * Usage: compile-time.ts <route-count> <upstream-port> <path>. Run as a child so that whatever a snapshot
 * opens (pools, timers) dies with the process.
 */
import { performance } from 'node:perf_hooks';
import { validateConfig } from '../gateway/src/config/validate';
import { compileSnapshot } from '../gateway/src/data-plane/snapshot';
import { TargetRegistry } from '../gateway/src/data-plane/upstream';
import type { Snapshot } from '../gateway/src/data-plane/types';
import { largeRouteConfig, matchedRouteOnlyConfig } from './route-table';

const RUNS = 3;
const MATCH_ITERATIONS = 100_000;
const MATCH_BLOCKS = 7;

export interface CompileTiming {
  readonly routes: number;
  /** Each run's validation time, ms (the first includes Ajv's schema compile). */
  readonly validateMs: number[];
  /** Each run's snapshot compile time, ms (each into a fresh target registry). */
  readonly compileMs: number[];
  /** One route match on the compiled table, microseconds (median of blocks of many). */
  readonly matchUs: number;
  /** The same match on a table holding only the matching route, microseconds. */
  readonly matchOneRouteUs: number;
}

/** Mean time of one `snapshot.match` of `path` over a block of iterations, microseconds. */
function timeMatch(snapshot: Snapshot, path: string): number {
  if (!snapshot.match('GET', '127.0.0.1', path, {})) throw new Error(`no route of the bench's table matches ${path}`);
  const t = performance.now();
  for (let n = 0; n < MATCH_ITERATIONS; n++) snapshot.match('GET', '127.0.0.1', path, {});
  return ((performance.now() - t) * 1_000) / MATCH_ITERATIONS;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function compileValid(document: object, registry: TargetRegistry, version: number): Snapshot {
  const validated = validateConfig(document);
  if (!validated.ok) throw new Error(`the bench's route table is invalid: ${JSON.stringify(validated.problems.slice(0, 3))}`);
  return compileSnapshot(validated.value, { version, checksum: 'bench' }, { targets: registry });
}

async function main(): Promise<void> {
  const routes = Number(process.argv[2]);
  const upstreamPort = Number(process.argv[3]);
  const path = process.argv[4] ?? '/';
  const document = largeRouteConfig(upstreamPort, routes);
  const validateMs: number[] = [];
  const compileMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const validated = validateConfig(document);
    validateMs.push(performance.now() - t);
    if (!validated.ok) throw new Error(`the bench's route table is invalid: ${JSON.stringify(validated.problems.slice(0, 3))}`);
    const targets = new TargetRegistry();
    t = performance.now();
    compileSnapshot(validated.value, { version: i + 1, checksum: 'bench' }, { targets });
    compileMs.push(performance.now() - t);
    await targets.closeAll();
  }
  // Both tables live side by side and are timed in alternating blocks, so GC and machine noise hit both alike.
  const targets = new TargetRegistry();
  const large = compileValid(document, targets, 1);
  const single = compileValid(matchedRouteOnlyConfig(upstreamPort), targets, 2);
  const largeUs: number[] = [];
  const singleUs: number[] = [];
  for (let block = 0; block < MATCH_BLOCKS; block++) {
    largeUs.push(timeMatch(large, path));
    singleUs.push(timeMatch(single, path));
  }
  await targets.closeAll();
  const timing: CompileTiming = { routes, validateMs, compileMs, matchUs: median(largeUs), matchOneRouteUs: median(singleUs) };
  process.stdout.write(`${JSON.stringify(timing)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
