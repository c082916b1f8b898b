/**
 * Failed authentication attempts counted per client address, with an exponential backoff: once an
 * address has `maxFailures` failures it is refused (without running the check) for `baseMs`, doubling
 * with every further failure up to `maxMs`. A success forgets the address. The ledger is bounded:
 * an address not seen for `FORGET_AFTER_MS` is forgotten, and past `MAX_ADDRESSES` the least
 * recently failed address goes first.
 */

/** How many failures an address gets before it waits, and how long it waits. */
export interface BackoffPolicy {
  readonly maxFailures: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Addresses remembered at most (about 100 bytes each). */
export const MAX_ADDRESSES = 100_000;
/** An address without a failure for this long starts again from zero. */
export const FORGET_AFTER_MS = 15 * 60_000;

interface Entry {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

export class FailureBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Milliseconds `address` must still wait (0: it may try now). */
  waitFor(address: string): number {
    const entry = this.fresh(address);
    return entry ? Math.max(0, Math.ceil(entry.blockedUntil - this.now())) : 0;
  }

  /** Records a failure; returns how long `address` must now wait (0 while it has fewer than `maxFailures`). */
  fail(address: string, policy: BackoffPolicy): number {
    const now = this.now();
    const entry = this.fresh(address) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
    entry.failures++;
    entry.lastFailure = now;
    const over = entry.failures - policy.maxFailures;
    // 2^30 is far past any maxMs; the cap keeps the power in range.
    const wait = over < 0 ? 0 : Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(over, 30));
    entry.blockedUntil = now + wait;
    // Re-inserted, so that insertion order is failure order and eviction takes the stalest.
    this.entries.delete(address);
    if (this.entries.size >= MAX_ADDRESSES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(address, entry);
    return wait;
  }

  /** A success: the address starts again from zero. */
  succeed(address: string): void {
    this.entries.delete(address);
  }

  private fresh(address: string): Entry | undefined {
    const entry = this.entries.get(address);
    if (entry && this.now() - entry.lastFailure > FORGET_AFTER_MS && this.now() >= entry.blockedUntil) {
      this.entries.delete(address);
      return undefined;
    }
    return entry;
  }
}
