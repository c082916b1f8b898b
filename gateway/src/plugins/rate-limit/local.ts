/**
 * GCRA (generic cell rate algorithm) in process memory: the store when no Redis is configured, and
 * the per-node fallback while Redis is unreachable (limits divided by the node count).
 *
 * Per key it keeps one number, the theoretical arrival time (TAT). A request is admitted when
 * `TAT + interval - burst * interval <= now`, and then moves TAT forward by one interval.
 */
import { unscrapedRateLimitMetrics, type RateLimitMetrics } from './metrics';
import type { DecisionSource, LimitSpec, RateLimitDecision, RateLimitStore } from './store';

export const DEFAULT_LOCAL_MAX_KEYS = 100_000;
const SWEEP_INTERVAL_MS = 30_000;
const FLOAT_TOLERANCE_MS = 1e-6;

export class LocalLimiter {
  private readonly tats = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  // Reused between decisions (decisions are synchronous), so a decision allocates only its result.
  private readonly pending: number[] = [];

  constructor(
    private readonly maxKeys = DEFAULT_LOCAL_MAX_KEYS,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  get size(): number {
    return this.tats.size;
  }

  /** Decides with every limit divided by `divisor` (the node count when standing in for Redis). */
  decide(key: string, limits: readonly LimitSpec[], divisor: number, source: DecisionSource): RateLimitDecision {
    const now = this.clock();
    let allowed = true;
    let best = -1;
    let bestRemaining = Infinity;
    let bestRetry = -1;
    let bestReset = 0;
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i]!;
      const count = Math.max(1, Math.floor(l.count / divisor));
      const burst = Math.max(1, Math.floor(l.burst / divisor));
      const interval = l.windowMs / count;
      const tau = interval * burst;
      const stored = this.tats.get(key + '|' + l.id);
      const tat = stored === undefined || stored < now ? now : stored;
      const next = tat + interval;
      const allowAt = next - tau;
      this.pending[i] = next;
      // A tolerance, because now + interval - interval need not equal now in floating point.
      if (allowAt - now > FLOAT_TOLERANCE_MS) {
        const retry = allowAt - now;
        if (allowed || retry > bestRetry) {
          best = i;
          bestRetry = retry;
          bestReset = tat - now;
        }
        allowed = false;
        bestRemaining = 0;
      } else if (allowed) {
        const remaining = Math.floor((tau - (next - now)) / interval + 1e-9);
        if (remaining < bestRemaining) {
          best = i;
          bestRemaining = remaining;
          bestReset = next - now;
        }
      }
    }
    if (allowed) {
      if (this.tats.size + limits.length > this.maxKeys) this.makeRoom(limits.length);
      for (let i = 0; i < limits.length; i++) this.tats.set(key + '|' + limits[i]!.id, this.pending[i]!);
    }
    const deciding = limits[best]!;
    return {
      allowed,
      limit: Math.max(1, Math.floor(deciding.count / divisor)),
      windowMs: deciding.windowMs,
      remaining: allowed ? bestRemaining : 0,
      resetMs: Math.ceil(bestReset - FLOAT_TOLERANCE_MS),
      retryAfterMs: allowed ? 0 : Math.ceil(bestRetry - FLOAT_TOLERANCE_MS),
      source,
    };
  }

  /** True while any limit of `key` still has consumption in this limiter (its TAT lies ahead). */
  holds(key: string, limits: readonly LimitSpec[]): boolean {
    const now = this.clock();
    for (const l of limits) {
      const tat = this.tats.get(key + '|' + l.id);
      if (tat !== undefined && tat > now) return true;
    }
    return false;
  }

  /** Forgets keys whose TAT has passed: they are fully replenished, the same as absent. */
  sweep(): void {
    const now = this.clock();
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.tats.clear();
  }

  private makeRoom(needed: number): void {
    this.sweep();
    // Still full: forget the oldest keys (they restart with a full allowance), bounding memory.
    for (const key of this.tats.keys()) {
      if (this.tats.size + needed <= this.maxKeys) break;
      this.tats.delete(key);
    }
  }
}

/** The store when no Redis is configured: exact limits for this process. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly kind = 'memory' as const;
  private readonly limiter: LocalLimiter;

  constructor(
    maxKeys = DEFAULT_LOCAL_MAX_KEYS,
    readonly metrics: RateLimitMetrics = unscrapedRateLimitMetrics(),
  ) {
    this.limiter = new LocalLimiter(maxKeys);
  }

  decide(key: string, limits: readonly LimitSpec[]): RateLimitDecision {
    return this.limiter.decide(key, limits, 1, 'memory');
  }

  async close(): Promise<void> {
    this.limiter.close();
  }
}
