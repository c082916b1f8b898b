/**
 * Coalesces the Redis commands of one event-loop turn into one socket write. Requests arrive in the
 * poll phase, many per turn under load; without this every decision costs its own write syscall in
 * the gateway and its own read (and wake-up) in Redis. The first command of a turn corks the
 * connection; a setImmediate, which runs right after the poll phase, uncorks it. Unlike ioredis
 * auto-pipelining, a batch never waits for the replies of the previous one, so no decision queues
 * behind a round trip: the delay is the rest of the current turn.
 */
import type { Writable } from 'node:stream';

export class WriteBatcher {
  private readonly corked: Writable[] = [];
  private open = false;

  /** `streams` lists the sockets a command may go to now (one, or a Cluster's masters). */
  constructor(private readonly streams: () => readonly (Writable | undefined)[]) {}

  /** True while a batch is open: this turn's writes are held until it ends. */
  get batching(): boolean {
    return this.open;
  }

  /** Call before sending a command: the first call of a turn corks, and schedules the flush. */
  join(): void {
    if (this.open) return;
    this.open = true;
    for (const stream of this.streams()) {
      if (stream && !stream.destroyed) {
        stream.cork();
        this.corked.push(stream);
      }
    }
    setImmediate(this.flush);
  }

  /** Sends what this turn's commands wrote (one writev per connection). */
  readonly flush = (): void => {
    if (!this.open) return;
    this.open = false;
    for (const stream of this.corked) stream.uncork();
    this.corked.length = 0;
  };
}
