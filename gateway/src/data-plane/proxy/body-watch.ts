/**
 * The request-body idle timeout. A client that sends a body slowly holds an upstream connection
 * for as long as it likes; this watch ends the request once no body byte has arrived for the body
 * timeout. It reads the socket's byte count on a timer instead of listening to the body, so it
 * neither changes the stream's flow (undici reads it) nor costs anything per chunk.
 */
import type { IncomingMessage } from 'node:http';

/** Checks per timeout period: the timeout fires between 1 and 1.25 times the setting after the last byte. */
const CHECKS_PER_PERIOD = 4;

export interface BodyStallListener {
  bodyStalledOut(): void;
}

export class BodyWatch {
  private readonly timer: NodeJS.Timeout;
  private lastBytes: number;
  private lastProgress = performance.now();

  constructor(
    private readonly req: IncomingMessage,
    private readonly timeoutMs: number,
    private readonly listener: BodyStallListener,
  ) {
    this.lastBytes = req.socket.bytesRead;
    this.timer = setInterval(() => this.check(), Math.max(25, Math.floor(timeoutMs / CHECKS_PER_PERIOD)));
    this.timer.unref();
  }

  private check(): void {
    if (this.req.complete) return this.stop();
    const bytes = this.req.socket?.bytesRead ?? this.lastBytes;
    const now = performance.now();
    if (bytes !== this.lastBytes) {
      this.lastBytes = bytes;
      this.lastProgress = now;
      return;
    }
    if (now - this.lastProgress >= this.timeoutMs) {
      this.stop();
      this.listener.bodyStalledOut();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
