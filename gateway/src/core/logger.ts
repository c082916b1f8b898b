/** The slice of a pino logger the sync loop and control plane use, so tests can pass a recorder. */
export interface SourceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Drops everything. */
export const silentLogger: SourceLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
