/** Rate-limit metrics in the prom-client default registry (exported on the status listener's /metrics). */
import { Counter, Gauge, register } from 'prom-client';
import type { BreakerState } from './breaker';

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames });
}

function gauge(name: string, help: string): Gauge<string> {
  return (register.getSingleMetric(name) as Gauge<string> | undefined) ?? new Gauge({ name, help });
}

/** Decisions taken without Redis although Redis is configured, by reason (`timeout`, `error`, `breaker-open`). */
export const degradedTotal = counter(
  'gatehouse_ratelimit_degraded_total',
  'Rate-limit decisions taken by the local fallback (or denied) because Redis was slow, failing or cut off by the breaker.',
  ['reason'],
);

/** 0 closed (Redis in use), 1 half-open (probing), 2 open (local limits). */
export const breakerStateGauge = gauge('gatehouse_ratelimit_breaker_state', 'Redis rate-limit breaker: 0 closed, 1 half-open, 2 open.');

/** Requests Redis admitted but the local share refused, because the key was decided locally during an outage. */
export const outageHeldTotal = (register.getSingleMetric('gatehouse_ratelimit_outage_held_total') as Counter<string> | undefined) ??
  new Counter({ name: 'gatehouse_ratelimit_outage_held_total', help: 'Requests Redis admitted but the node refused: the key was decided locally during a Redis outage and its local share is not drained yet.' });

/** Breaker state changes, by the state entered: flapping shows here. */
export const breakerTransitionsTotal = counter('gatehouse_ratelimit_breaker_transitions_total', 'Redis rate-limit breaker state changes, by the state entered.', ['state']);

/** Decisions by source and result. */
export const decisionsTotal = counter('gatehouse_ratelimit_decisions_total', 'Rate-limit decisions by source and result.', ['source', 'result']);

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export function recordBreakerState(state: BreakerState): void {
  breakerStateGauge.set(BREAKER_VALUE[state]);
}

/** A state change (the initial state is not one). */
export function recordBreakerTransition(state: BreakerState): void {
  recordBreakerState(state);
  breakerTransitionsTotal.labels(state).inc();
}

const decisionChildren = new Map<string, ReturnType<Counter<string>['labels']>>();

/** Counts one decision (label children are cached: this runs per request). */
export function recordDecision(source: string, allowed: boolean): void {
  const key = allowed ? source : source + '!';
  let child = decisionChildren.get(key);
  if (!child) {
    child = decisionsTotal.labels(source, allowed ? 'allowed' : 'rejected');
    decisionChildren.set(key, child);
  }
  child.inc();
}
