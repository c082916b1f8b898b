/**
 * JSON access log (pino): one line per proxied request with route id, consumer, upstream target,
 * status, total and upstream latency, body bytes in and out, user agent, trace id, request id, method,
 * path (never the query string) and client address. Request headers are
 * not logged; the redaction list is a second line of defence should a field ever carry them.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { REDACTED_PATHS } from '../core/logger';
import type { AccessLog, AccessRecord } from './proxy';

/** Bytes of access lines gathered before one write to stdout (a write per request is a syscall per request). */
export const ACCESS_LOG_BUFFER_BYTES = 8 * 1024;
/** Longest time a line waits in the buffer when traffic is light. */
export const ACCESS_LOG_FLUSH_INTERVAL_MS = 1_000;

/**
 * The pino logger access lines go to: JSON on stdout, written in batches of about 8 KiB and at
 * least every second, and whatever is pending when the process exits, unless a destination is given.
 */
export function createAccessLogger(destination?: DestinationStream): Logger {
  const options = { base: { log: 'access' }, redact: { paths: REDACTED_PATHS }, messageKey: 'msg' };
  if (destination) return pino(options, destination);
  const lines = new LineBatch(pino.destination({ dest: 1, sync: false }));
  setInterval(() => lines.flush(), ACCESS_LOG_FLUSH_INTERVAL_MS).unref();
  // Ahead of pino's own exit handler, which then writes out what the batch handed it.
  process.prependListener('beforeExit', () => lines.flush());
  process.prependListener('exit', () => lines.flush());
  return pino(options, lines);
}

/**
 * Gathers lines and hands the stdout stream one string per ~8 KiB. The batching is ours rather than
 * sonic-boom's `minLength` because sonic-boom measures the byte length of its whole pending string
 * on every write (a copy of up to 16 KiB per line): 3.2 µs per line against 1.6 µs here.
 */
class LineBatch implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;

  constructor(private readonly out: DestinationStream) {}

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= ACCESS_LOG_BUFFER_BYTES) this.flush();
  }

  flush(): void {
    if (this.lines.length === 0) return;
    const chunk = this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.out.write(chunk);
  }
}

/** Writes access records through a pino logger. */
export class PinoAccessLog implements AccessLog {
  constructor(private readonly logger: Logger) {}

  record(e: AccessRecord): void {
    this.logger.info({
      requestId: e.requestId,
      route: e.route?.id ?? null,
      upstream: e.upstreamId ?? null,
      target: e.targetKey ?? null,
      method: e.method,
      path: e.logPath,
      status: e.status,
      latencyMs: Math.round(e.latencyMs * 1000) / 1000,
      upstreamLatencyMs: e.upstreamLatencyMs < 0 ? null : Math.round(e.upstreamLatencyMs * 1000) / 1000,
      consumer: e.consumerId ?? null,
      bytesIn: e.bytesIn,
      bytesOut: e.bytesOut,
      userAgent: e.userAgent ?? null,
      traceId: e.traceId ?? null,
      clientIp: e.clientIp,
    });
  }
}
