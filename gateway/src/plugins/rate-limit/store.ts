/**
 * The rate-limit store contract: one decision per request over every limit of a route, taken
 * atomically. Implementations: Redis (shared between nodes; local fallback while Redis is slow or
 * down) and memory (one process; the embedded default).
 */
import type { PluginServices } from '../contract';
import type { RateLimitMetrics } from './metrics';

/** One limit: `count` requests per `windowMs`, with up to `burst` of them at once (GCRA). */
export interface LimitSpec {
  readonly count: number;
  readonly windowMs: number;
  readonly burst: number;
  /** Stable identity of the limit inside a key (`count/windowMs/burst`). */
  readonly id: string;
}

/** What the store does when it cannot reach its shared state in time. */
export type FailureMode = 'local' | 'deny';

/** Where a decision was taken. `unavailable`: shared state unreachable and the route fails closed. */
export type DecisionSource = 'redis' | 'local' | 'memory' | 'unavailable';

/** The outcome over all limits, described by the limit that matters (the rejecting one, or the one with least left). */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly windowMs: number;
  readonly remaining: number;
  /** Time until the deciding limit is fully replenished. */
  readonly resetMs: number;
  /** When rejected: time until a request would be admitted. */
  readonly retryAfterMs: number;
  readonly source: DecisionSource;
}

/** The plugin services as rate-limit reads them: its counter store lives here, not in the shared contract. */
export interface RateLimitServices extends PluginServices {
  /** Shared counter store (Redis or memory); a node-local memory store when absent. */
  readonly rateLimit?: RateLimitStore;
}

export interface RateLimitStore {
  readonly kind: 'redis' | 'memory';
  /** Where decisions are counted (the node's registry when the services were given one). */
  readonly metrics: RateLimitMetrics;
  /**
   * Admits or rejects one request against every limit under `key`; a request rejected by any limit
   * consumes none of them.
   */
  decide(key: string, limits: readonly LimitSpec[], onFailure: FailureMode): RateLimitDecision | Promise<RateLimitDecision>;
  /** Closes connections and timers. */
  close(): Promise<void>;
}

/** Builds a limit spec, filling `burst` (default: the whole count may arrive at once). */
export function limitSpec(count: number, windowMs: number, burst = count): LimitSpec {
  return { count, windowMs, burst, id: `${count}/${windowMs}/${burst}` };
}
