/**
 * A bound on expensive credential checks (scrypt on the libuv pool, shared with DNS and file I/O):
 * at most `concurrency` run at once and `maxQueued` wait, and one client address holds at most
 * `perClient` of those places, so one client's parallel guesses cannot fill the queue in front of
 * everyone else's logins. A check that finds no place is refused at once; it never waits unbounded.
 */

export interface VerificationLimits {
  readonly concurrency: number;
  readonly maxQueued: number;
  readonly perClient: number;
}

/** Two scrypt checks at once leave two of libuv's four threads to DNS and the file system. */
export const DEFAULT_VERIFICATION_LIMITS: VerificationLimits = { concurrency: 2, maxQueued: 64, perClient: 2 };

/** Why a check was not admitted. */
export type Refusal = 'client-busy' | 'queue-full';

export class VerificationQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly perClient = new Map<string, number>();

  constructor(private readonly limits: VerificationLimits = DEFAULT_VERIFICATION_LIMITS) {}

  /** Runs `check` when a place is free, or refuses at once. */
  run<T>(client: string, check: () => Promise<T>): Promise<T> | Refusal {
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.limits.perClient) return 'client-busy';
    if (this.running >= this.limits.concurrency && this.waiting.length >= this.limits.maxQueued) return 'queue-full';
    this.perClient.set(client, held + 1);
    const started = this.running < this.limits.concurrency ? (this.running++, Promise.resolve()) : new Promise<void>((resolve) => this.waiting.push(resolve));
    return started.then(check).finally(() => this.release(client));
  }

  private release(client: string): void {
    const held = this.perClient.get(client)! - 1;
    if (held === 0) this.perClient.delete(client);
    else this.perClient.set(client, held);
    const next = this.waiting.shift();
    // The place passes straight to the next waiter; `running` only drops when nobody waits.
    if (next) next();
    else this.running--;
  }
}
