/**
 * Rate-limit metrics (`gatehouse_ratelimit_*`), declared on the node's registry (`core/metrics.ts`).
 * Decisions and fallbacks are counted per request, so they are plain cells read at scrape time;
 * breaker state changes are rare and use prom-client directly.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { declareMetrics, PlainCounter, type CounterCell } from '../../core/metrics';
import type { BreakerState } from './breaker';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** What the rate-limit stores and plugin count. */
export class RateLimitMetrics {
  private readonly decisions: PlainCounter<'source' | 'result'>;
  private readonly degradedBy: PlainCounter<'reason'>;
  private readonly held: CounterCell;
  private readonly breakerGauge: Gauge;
  private readonly transitions: Counter<'state'>;
  // Cells by `source` then admitted (0) / rejected (1), made on first use (a series appears once counted).
  private readonly decisionCells = new Map<string, [CounterCell | undefined, CounterCell | undefined]>();
  private readonly degradedCells = new Map<string, CounterCell>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.decisions = new PlainCounter(registry, { name: 'gatehouse_ratelimit_decisions_total', help: 'Rate-limit decisions by source and result.', labelNames: ['source', 'result'] });
    this.degradedBy = new PlainCounter(registry, {
      name: 'gatehouse_ratelimit_degraded_total',
      help: 'Rate-limit decisions taken by the local fallback (or denied) because Redis was slow, failing or cut off by the breaker.',
      labelNames: ['reason'],
    });
    this.held = new PlainCounter(registry, {
      name: 'gatehouse_ratelimit_outage_held_total',
      help: 'Requests Redis admitted but the node refused: the key was decided locally during a Redis outage and its local share is not drained yet.',
    }).cell({});
    this.breakerGauge = new Gauge({ name: 'gatehouse_ratelimit_breaker_state', help: 'Redis rate-limit breaker: 0 closed, 1 half-open, 2 open.', registers });
    this.transitions = new Counter({ name: 'gatehouse_ratelimit_breaker_transitions_total', help: 'Redis rate-limit breaker state changes, by the state entered.', labelNames: ['state'], registers });
  }

  /** One decision, by where it was taken (`redis`, `local`, `memory`, `unavailable`). */
  decision(source: string, allowed: boolean): void {
    let cells = this.decisionCells.get(source);
    if (cells === undefined) {
      cells = [undefined, undefined];
      this.decisionCells.set(source, cells);
    }
    const i = allowed ? 0 : 1;
    (cells[i] ??= this.decisions.cell({ source, result: allowed ? 'allowed' : 'rejected' })).value++;
  }

  /** A decision taken without Redis although Redis is configured (`timeout`, `error`, `breaker-open`). */
  degraded(reason: string): void {
    let cell = this.degradedCells.get(reason);
    if (cell === undefined) {
      cell = this.degradedBy.cell({ reason });
      this.degradedCells.set(reason, cell);
    }
    cell.value++;
  }

  /** Redis admitted, but the key was decided locally during an outage and its local share refused. */
  outageHeld(): void {
    this.held.value++;
  }

  breakerState(state: BreakerState): void {
    this.breakerGauge.set(BREAKER_VALUE[state]);
  }

  /** A state change (the initial state is not one). */
  breakerTransition(state: BreakerState): void {
    this.breakerState(state);
    this.transitions.labels(state).inc();
  }
}

/** The rate-limit metrics on `registry`; without one (a store built alone, in tests), on a registry of their own that nobody scrapes. */
export const rateLimitMetrics = declareMetrics((registry) => new RateLimitMetrics(registry));

/** Metrics for a store given no registry. */
export function unscrapedRateLimitMetrics(): RateLimitMetrics {
  return rateLimitMetrics(new Registry());
}
