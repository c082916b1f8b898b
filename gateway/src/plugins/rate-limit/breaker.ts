/**
 * A circuit breaker for the shared store: after a few consecutive failures it stops sending
 * decisions to Redis, then lets one probe through per interval; a successful probe closes it, so
 * shared limits resume by themselves once Redis is back.
 */
export const DEFAULT_BREAKER_FAILURES = 3;
export const DEFAULT_BREAKER_PROBE_INTERVAL_MS = 1_000;

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  readonly failures?: number;
  /** Time between probes while open. */
  readonly probeIntervalMs?: number;
  readonly clock?: () => number;
  /** Called on every state change (metrics, logs). */
  readonly onChange?: (state: BreakerState) => void;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private readonly failureLimit: number;
  private readonly probeIntervalMs: number;
  private readonly clock: () => number;

  constructor(private readonly options: BreakerOptions = {}) {
    this.failureLimit = options.failures ?? DEFAULT_BREAKER_FAILURES;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_BREAKER_PROBE_INTERVAL_MS;
    this.clock = options.clock ?? (() => performance.now());
  }

  get state(): BreakerState {
    return this.current;
  }

  /** True when this call may go to the store; while open, true once per probe interval (the probe). */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'half-open') return false; // a probe is in flight
    if (this.clock() - this.openedAt < this.probeIntervalMs) return false;
    this.transition('half-open');
    return true;
  }

  success(): void {
    this.consecutiveFailures = 0;
    if (this.current !== 'closed') this.transition('closed');
  }

  failure(): void {
    this.consecutiveFailures++;
    if (this.current === 'half-open' || (this.current === 'closed' && this.consecutiveFailures >= this.failureLimit)) {
      this.openedAt = this.clock();
      this.transition('open');
    }
  }

  private transition(state: BreakerState): void {
    this.current = state;
    this.options.onChange?.(state);
  }
}
