/**
 * Active health: an HTTP GET of `path` on one target every `intervalMs`, over a connection of its own
 * with the same connect and TLS settings as the target's pool (so a probe never waits behind traffic
 * in a saturated pool and times out for the wrong reason). `unhealthyThreshold` consecutive
 * failures mark the target unhealthy, `healthyThreshold` consecutive successes mark it healthy.
 * Timers are unref'd: health checks never keep the process alive.
 */
import type { Dispatcher } from 'undici';
import type { Static } from '@sinclair/typebox';
import type { ActiveHealth } from '../../../config/schema';

export type ActiveHealthConfig = Static<typeof ActiveHealth>;

/** Statuses that count as healthy when the config lists none. */
export const DEFAULT_HEALTHY_STATUS_MIN = 200;
export const DEFAULT_HEALTHY_STATUS_MAX = 399;

const USER_AGENT = 'gatehouse-health-check';

/** What an active check needs to know about its target. */
export interface ActiveCheckTarget {
  readonly dispatcher: Dispatcher;
  readonly origin: string;
  /** Host header for the probe (the TLS server name or the target host). */
  readonly hostHeader: string;
}

/** Probes one target on an interval and reports health transitions. */
export class ActiveHealthCheck {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: AbortController | undefined;
  private running = false;
  private successes = 0;
  private failures = 0;
  private healthy = true;
  private config: ActiveHealthConfig;

  constructor(
    private readonly target: ActiveCheckTarget,
    config: ActiveHealthConfig,
    private readonly onChange: (healthy: boolean, detail: string) => void,
  ) {
    this.config = config;
  }

  /** Current verdict; true until enough probes fail. */
  get isHealthy(): boolean {
    return this.healthy;
  }

  /** Replaces the settings (a reload changed them); the next probe uses them. */
  update(config: ActiveHealthConfig): void {
    const intervalChanged = config.intervalMs !== this.config.intervalMs;
    this.config = config;
    if (this.running && intervalChanged && !this.inFlight) {
      clearTimeout(this.timer);
      this.schedule();
    }
  }

  /** Starts probing; the first probe goes out right away. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setTimeout(() => void this.probe(), 0);
    this.timer.unref();
  }

  /** Stops probing and aborts a probe in flight. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.probe(), this.config.intervalMs);
    this.timer.unref();
  }

  private isHealthyStatus(status: number): boolean {
    const listed = this.config.healthyStatuses;
    if (listed) return listed.includes(status);
    return status >= DEFAULT_HEALTHY_STATUS_MIN && status <= DEFAULT_HEALTHY_STATUS_MAX;
  }

  private async probe(): Promise<void> {
    if (!this.running) return;
    const abort = new AbortController();
    this.inFlight = abort;
    const timeout = setTimeout(() => abort.abort(), this.config.timeoutMs);
    timeout.unref();
    let ok = false;
    let detail: string;
    try {
      const res = await this.target.dispatcher.request({
        origin: this.target.origin,
        path: this.config.path,
        method: 'GET',
        headers: { host: this.target.hostHeader, 'user-agent': USER_AGENT },
        headersTimeout: this.config.timeoutMs,
        bodyTimeout: this.config.timeoutMs,
        signal: abort.signal,
      });
      await res.body.dump();
      ok = this.isHealthyStatus(res.statusCode);
      detail = `status ${res.statusCode}`;
    } catch (err) {
      detail = abort.signal.aborted ? `no answer within ${this.config.timeoutMs} ms` : (err as Error).message;
    } finally {
      clearTimeout(timeout);
    }
    if (!this.running || this.inFlight !== abort) return;
    this.inFlight = undefined;
    this.record(ok, detail);
    this.schedule();
  }

  private record(ok: boolean, detail: string): void {
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (!this.healthy && this.successes >= this.config.healthyThreshold) {
        this.healthy = true;
        this.onChange(true, detail);
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.healthy && this.failures >= this.config.unhealthyThreshold) {
        this.healthy = false;
        this.onChange(false, detail);
      }
    }
  }
}
