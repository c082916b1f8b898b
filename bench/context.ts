/** What every section of the bench is given: the shared upstream, the load settings and the run options. */
import type { GatewayRole, GatewayRuntime } from './gateway';
import type { LoadOptions, LoadResult } from './load';
import type { SectionReport } from './report';

/** A bench section: measures something and reports tables and notes. `bench/run.ts` says how to add one. */
export type BenchSection = (ctx: BenchContext) => Promise<SectionReport>;

export interface BenchContext {
  readonly upstreamPort: number;
  readonly load: LoadOptions;
  /** Measured runs per target, interleaved across targets; the median of each figure is reported. */
  readonly rounds: number;
  readonly runtime: GatewayRuntime;
  readonly role: GatewayRole;
  /** When set, the gateway runs with `--cpu-prof` and its profile is written here and summarised. */
  readonly profileDir?: string;
  /** Bytes streamed each way in the stream section. */
  readonly streamBytes: number;
  /** Flags only some sections read, parsed once by `bench/run.ts`, by commander's camelCase name (`pollMs`). */
  readonly options: Readonly<Record<string, string>>;
  log(message: string): void;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of each figure over several runs of one target. */
export function medianResult(runs: readonly LoadResult[]): LoadResult {
  if (runs.length === 0) throw new Error('no runs to summarise');
  return {
    tool: runs[0]!.tool,
    requests: median(runs.map((r) => r.requests)),
    rps: median(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    cpuUsPerRequest: runs.every((r) => r.cpuUsPerRequest !== undefined) ? median(runs.map((r) => r.cpuUsPerRequest!)) : undefined,
  };
}

/** How the gateway is named in tables: `gateway (data-plane, dist)`. */
export function gatewayLabel(ctx: BenchContext): string {
  return `gateway (${ctx.role}, ${ctx.runtime})`;
}
