/** The slice of a pino logger the config sources use, so tests can pass a recorder. */
export interface SourceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Drops everything. */
export const silentLogger: SourceLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Exponential backoff with full jitter: a random delay in [0, min(max, base·2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.floor(Math.random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
}
