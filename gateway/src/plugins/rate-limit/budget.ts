/**
 * The decision budget without a timer per decision. Every decision of a store has the same budget,
 * so deadlines come in the order decisions start: a FIFO queue with one timer, armed for the oldest
 * decision still waiting, replaces a setTimeout/clearTimeout pair per request.
 */

/** A decision waiting for Redis; `expire` is called once its budget is spent, unless it settled first. */
export interface PendingDecision {
  settled: boolean;
  deadline: number;
  expire(): void;
}

export class BudgetQueue {
  private queue: (PendingDecision | undefined)[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly budgetMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Pending decisions not yet expired or dropped (settled ones leave when they reach the front). */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Starts the budget of `pending` now. */
  add(pending: PendingDecision): void {
    pending.deadline = this.clock() + this.budgetMs;
    this.queue.push(pending);
    if (this.timer === undefined) this.arm(this.budgetMs);
  }

  /** Stops the timer; pending decisions are left to settle (or not) by themselves. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(delayMs)));
  }

  // Timers run before I/O in the event loop: a busy loop would see a budget expire although the reply
  // already waits on the socket. One setImmediate lets that reply be read first, so the budget
  // measures Redis, not our own event-loop lag.
  private readonly onTimer = (): void => {
    setImmediate(this.expireDue);
  };

  private readonly expireDue = (): void => {
    this.timer = undefined;
    const now = this.clock();
    const queue = this.queue;
    while (this.head < queue.length) {
      const pending = queue[this.head]!;
      if (!pending.settled && pending.deadline > now) break;
      queue[this.head++] = undefined;
      if (!pending.settled) pending.expire();
    }
    if (this.head === queue.length) {
      this.queue = [];
      this.head = 0;
      return;
    }
    // Drop the consumed front now and then, so the array does not grow for ever under steady load.
    if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
    this.arm(this.queue[this.head]!.deadline - now);
  };
}
