/**
 * The process logger (pino JSON on stdout) with credentials redacted, the redaction list the access
 * log shares, and the slice of a logger the sync loop and control plane use.
 */
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

/** Fields that may hold credentials; pino replaces them with `[Redacted]` wherever they appear. */
export const REDACTED_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-api-key"]',
  'headers.apikey',
  'headers["proxy-authorization"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers.apikey',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'authorization',
  'cookie',
];

/** The process logger at `level` (JSON on stdout unless a destination is given). */
export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  const options = { level, base: { pid: process.pid }, redact: { paths: REDACTED_PATHS } };
  return destination ? pino(options, destination) : pino(options);
}

/** The slice of a pino logger the sync loop and control plane use, so tests can pass a recorder. */
export interface SourceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Drops everything. */
export const silentLogger: SourceLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
