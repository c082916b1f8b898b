/**
 * The one metrics convention. A module declares its metrics with `declareMetrics`, on the registry
 * its node passes in (there is no global registry). Counters and histograms the hot path touches are
 * plain numbers here (`PlainCounter`, `PlainHistogram`): a request adds to a cell it already holds,
 * and prom-client reads the cells only when `/metrics` is scraped. Everything else (gauges of state,
 * rare counters) is an ordinary prom-client metric on the same registry, computed in `collect()`
 * where it reads state.
 */
import type { Histogram, Metric, Registry } from 'prom-client';

export type { Registry as MetricsRegistry } from 'prom-client';

/**
 * Wraps a module's metric declarations so that each registry gets them once: calling the result
 * twice with one registry (two sync loops in one node, a test that builds twice) returns one set.
 */
export function declareMetrics<T>(declare: (registry: Registry) => T): (registry: Registry) => T {
  const declared = new WeakMap<Registry, T>();
  return (registry) => {
    let metrics = declared.get(registry);
    if (metrics === undefined) {
      metrics = declare(registry);
      declared.set(registry, metrics);
    }
    return metrics;
  };
}

interface MetricDeclaration<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

type Labels<L extends string> = Readonly<Record<L, string>>;

/** What prom-client's own metrics answer from `get()` (the types are not exported by name). */
type Reading = Awaited<ReturnType<Histogram['get']>>;

/**
 * A metric of prom-client's shape: the registry reads `get()` at scrape time, as it does for its own
 * metrics (prom-client's counter and histogram cannot be handed values). Cells are made once per label
 * set and kept by the caller; the hot path only adds to them.
 */
abstract class PlainMetric<L extends string, C> {
  name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  abstract readonly type: string;
  protected readonly cells = new Map<string, { labels: Labels<L>; cell: C }>();
  private readonly labelNames: readonly L[];

  constructor(registry: Registry, declaration: MetricDeclaration<L>) {
    this.name = declaration.name;
    this.help = declaration.help;
    this.labelNames = declaration.labelNames ?? [];
    registry.registerMetric(this as unknown as Metric);
  }

  /** The cell of one label set; get it once (per route, per snapshot) and keep it, as this allocates. */
  cell(labels: Labels<L>): C {
    let key = '';
    for (const name of this.labelNames) key += JSON.stringify(labels[name] ?? '') + ',';
    let entry = this.cells.get(key);
    if (entry === undefined) {
      // Labels in declaration order, as prom-client prints them.
      const ordered = {} as Record<L, string>;
      for (const name of this.labelNames) ordered[name] = labels[name] ?? '';
      entry = { labels: ordered, cell: this.newCell() };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  protected abstract newCell(): C;
  abstract get(): Promise<Reading>;
  /** `registry.resetMetrics()` zeroes every cell (cells stay valid). */
  abstract reset(): void;

  protected reading(values: Reading['values']): Reading {
    return { name: this.name, help: this.help, type: this.type as unknown as Reading['type'], values, aggregator: this.aggregator } as Reading;
  }
}

/** One series of a `PlainCounter`; the hot path adds to `value`. */
export interface CounterCell {
  value: number;
}

/** A counter kept in plain numbers, one cell per label set, read at scrape time. */
export class PlainCounter<L extends string = never> extends PlainMetric<L, CounterCell> {
  readonly type = 'counter';

  constructor(registry: Registry, declaration: MetricDeclaration<L>) {
    super(registry, declaration);
    // An unlabelled counter is exported (as 0) from the start, as prom-client does.
    if (!declaration.labelNames?.length) this.cell({} as Labels<L>);
  }

  protected newCell(): CounterCell {
    return { value: 0 };
  }

  async get(): Promise<Reading> {
    const values: Reading['values'] = [];
    for (const { labels, cell } of this.cells.values()) values.push({ labels: { ...labels }, value: cell.value });
    return this.reading(values);
  }

  reset(): void {
    for (const { cell } of this.cells.values()) cell.value = 0;
  }
}

/** One series of a `PlainHistogram`: bucket counts (not cumulative), sum and count. */
export class HistogramCell {
  /** `counts[i]` observations fell in bucket i (`le` = bounds[i]); the last one is `+Inf`. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** A histogram kept in plain bucket arrays, read at scrape time; cluster aggregation sums it bucket by bucket. */
export class PlainHistogram<L extends string = never> extends PlainMetric<L, HistogramCell> {
  readonly type = 'histogram';
  private readonly bounds: readonly number[];

  constructor(registry: Registry, declaration: MetricDeclaration<L> & { readonly buckets: readonly number[] }) {
    super(registry, declaration);
    this.bounds = [...declaration.buckets].sort((a, b) => a - b);
  }

  protected newCell(): HistogramCell {
    return new HistogramCell(this.bounds);
  }

  /** `_bucket` (cumulative, with `le`), `_sum` and `_count` per series, as prom-client's histogram answers. */
  async get(): Promise<Reading> {
    const values: Reading['values'] = [];
    for (const { labels, cell } of this.cells.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += cell.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: i < this.bounds.length ? this.bounds[i]! : '+Inf', ...labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { ...labels }, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...labels }, value: cell.count });
    }
    return this.reading(values);
  }

  reset(): void {
    for (const { cell } of this.cells.values()) {
      cell.counts.fill(0);
      cell.sum = 0;
      cell.count = 0;
    }
  }
}
