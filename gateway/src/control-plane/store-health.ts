/**
 * The control plane's readiness: its config store answers within the deadline and its head matches
 * its checksum. Checked on an interval (a hung store cannot be noticed from requests that never end),
 * exported as metrics, and read by `/readyz`.
 */
import { Gauge, type Registry } from 'prom-client';
import type { SourceLogger } from '../core/logger';
import { silentLogger } from '../core/logger';
import { CorruptVersionError } from '../store';

export interface StoreHealthOptions {
  /** Reads the head (and verifies it when it moved): the config service's `current`. */
  check: () => Promise<unknown>;
  intervalMs: number;
  registry: Registry;
  logger?: SourceLogger;
}

export type StoreReadiness = { ready: true } | { ready: false; reason: string };

export class StoreHealth {
  private state: StoreReadiness = { ready: false, reason: 'the config store has not been checked yet' };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly up: Gauge;
  private readonly corrupt: Gauge;
  private readonly log: SourceLogger;

  constructor(private readonly options: StoreHealthOptions) {
    const registers = [options.registry];
    this.up = new Gauge({ name: 'gatehouse_config_store_up', help: 'Control plane: 1 when the config store answered the last check within the deadline.', registers });
    this.corrupt = new Gauge({
      name: 'gatehouse_config_store_corrupt_version',
      help: 'Control plane: the head version whose document does not match its checksum (writes are blocked); 0 when the head is intact.',
      registers,
    });
    this.log = options.logger ?? silentLogger;
  }

  get readiness(): StoreReadiness {
    return this.state;
  }

  /** Checks once now and then on the interval; resolves after the first check. */
  async start(): Promise<void> {
    await this.checkOnce();
    this.timer = setInterval(() => void this.checkOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One check; overlapping calls share the one in flight. */
  checkOnce(): Promise<void> {
    this.running ??= this.runCheck().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runCheck(): Promise<void> {
    const before = this.state;
    try {
      await this.options.check();
      this.up.set(1);
      this.corrupt.set(0);
      this.state = { ready: true };
    } catch (err) {
      const corrupt = err instanceof CorruptVersionError;
      this.up.set(corrupt ? 1 : 0);
      this.corrupt.set(corrupt ? err.version : 0);
      this.state = { ready: false, reason: corrupt ? `config version ${err.version} does not match its checksum` : 'the config store is unreachable' };
    }
    const said = (r: StoreReadiness) => (r.ready ? 'ready' : r.reason);
    if (said(before) !== said(this.state)) {
      if (this.state.ready) this.log.info({}, 'control plane ready: the config store answers and its head is intact');
      else this.log.warn({ reason: this.state.reason }, 'control plane not ready');
    }
  }
}
