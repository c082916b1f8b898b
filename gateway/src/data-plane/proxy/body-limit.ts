/** Counts a streamed request body and stops it past a cap (the request-size-limit plugin sets the cap). */
import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';

/** Raised into the upstream request when the body passes the cap. */
export class BodyTooLargeError extends Error {
  readonly code = 'GW_BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

/** A pass-through that fails once more than `limit` bytes went through. */
export class BodyLimit extends Transform {
  private seen = 0;
  exceeded = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      this.exceeded = true;
      callback(new BodyTooLargeError(this.limit));
      return;
    }
    callback(null, chunk);
  }
}

/** The request body through a `BodyLimit`; the client's stream is unpiped (not destroyed) on overflow. */
export function limitBody(req: IncomingMessage, limit: number): BodyLimit {
  const limiter = new BodyLimit(limit);
  req.on('error', (err) => limiter.destroy(err));
  limiter.on('error', () => req.unpipe(limiter));
  req.pipe(limiter);
  return limiter;
}
