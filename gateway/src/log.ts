/** The process logger (pino JSON on stdout), with credentials redacted. */
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { REDACTED_PATHS } from './data-plane/access-log';

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  const options = { level, base: { pid: process.pid }, redact: { paths: REDACTED_PATHS } };
  return destination ? pino(options, destination) : pino(options);
}
