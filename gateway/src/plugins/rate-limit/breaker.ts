/**
 * A circuit breaker for the shared store: after a few consecutive failures it stops sending
 * decisions to Redis, then lets one probe through per interval; a successful probe closes it, so
 * shared limits resume by themselves once Redis is back. A breaker that opens again soon after it
 * closed is flapping (a Redis that answers some calls within the budget and not others): each such
 * reopening doubles the probe interval, up to 16 times, until Redis has stayed usable for a while.
 */
export const DEFAULT_BREAKER_FAILURES = 3;
export const DEFAULT_BREAKER_PROBE_INTERVAL_MS = 1_000;
/** Reopening within this many probe intervals of closing counts as flapping. */
const FLAP_WINDOW_INTERVALS = 10;
const MAX_FLAP_DOUBLINGS = 4;

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
  private closedAt = -Infinity;
  /** Consecutive reopenings soon after closing; the probe interval doubles with each. */
  private flaps = 0;
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
  /** The wait between probes now (longer while flapping). */
  get currentProbeIntervalMs(): number {
    return this.probeIntervalMs * 2 ** this.flaps;
  }

  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'half-open') return false; // a probe is in flight
    if (this.clock() - this.openedAt < this.currentProbeIntervalMs) return false;
    this.transition('half-open');
    return true;
  }

  success(): void {
    this.consecutiveFailures = 0;
    if (this.current !== 'closed') {
      this.closedAt = this.clock();
      this.transition('closed');
    }
  }

  failure(): void {
    this.consecutiveFailures++;
    if (this.current === 'half-open' || (this.current === 'closed' && this.consecutiveFailures >= this.failureLimit)) {
      const now = this.clock();
      if (this.current === 'closed') {
        const flapping = now - this.closedAt < FLAP_WINDOW_INTERVALS * this.currentProbeIntervalMs;
        this.flaps = flapping ? Math.min(this.flaps + 1, MAX_FLAP_DOUBLINGS) : 0;
      }
      this.openedAt = now;
      this.transition('open');
    }
  }

  private transition(state: BreakerState): void {
    this.current = state;
    this.options.onChange?.(state);
  }
}
