/**
 * Measures, in its own process, how long validating and compiling a large route table takes, by
 * importing the gateway's `validateConfig` and `compileSnapshot` directly. Prints one JSON line.
 * Usage: compile-time.ts <route-count> <upstream-port>. Run as a child so that whatever a snapshot
 * opens (pools, timers) dies with the process.
 */
import { performance } from 'node:perf_hooks';
import { validateConfig } from '../gateway/src/config/validate';
import { largeRouteConfig } from './route-table';

const RUNS = 3;

export interface CompileTiming {
  readonly routes: number;
  /** Each run's validation time, ms (the first includes Ajv's schema compile). */
  readonly validateMs: number[];
  /** Each run's snapshot compile time, ms; absent when compileSnapshot is not available. */
  readonly compileMs?: number[];
  readonly note?: string;
}

type CompileFn = (config: unknown, ...rest: unknown[]) => unknown;

/** The gateway's compileSnapshot, loaded by path so the bench type-checks before the module exists. */
function loadCompile(): CompileFn | string {
  const path = '../gateway/src/data-plane/snapshot';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path) as Record<string, unknown>;
    return typeof mod.compileSnapshot === 'function' ? (mod.compileSnapshot as CompileFn) : 'gateway/src/data-plane/snapshot has no compileSnapshot export';
  } catch (err) {
    return `could not load gateway/src/data-plane/snapshot: ${(err as Error).message.split('\n')[0]}`;
  }
}

async function main(): Promise<void> {
  const routes = Number(process.argv[2]);
  const upstreamPort = Number(process.argv[3]);
  const document = largeRouteConfig(upstreamPort, routes);
  const validateMs: number[] = [];
  const compileMs: number[] = [];
  const compile = loadCompile();
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const validated = validateConfig(document);
    validateMs.push(performance.now() - t);
    if (!validated.ok) throw new Error(`the bench's route table is invalid: ${JSON.stringify(validated.problems.slice(0, 3))}`);
    if (typeof compile === 'function') {
      t = performance.now();
      await compile(validated.value, { version: i + 1, checksum: 'bench' });
      compileMs.push(performance.now() - t);
    }
  }
  const timing: CompileTiming =
    typeof compile === 'function' ? { routes, validateMs, compileMs } : { routes, validateMs, note: compile };
  process.stdout.write(`${JSON.stringify(timing)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
