/** Reconnect and retry delays: exponential backoff with full jitter. */

/** A random delay in [0, min(max, base·2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.floor(Math.random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
}
