/**
 * The live state of one target of one upstream: its undici keep-alive pool, in-flight count and
 * health. It outlives snapshots: while a reload keeps the target (same upstream, address, TLS and
 * pool settings) the new snapshot reuses this object, so connections and health carry over.
 */
import { Client, Pool, type Dispatcher } from 'undici';
import type { UpstreamConfig, TargetConfig } from '../../config/schema';
import type { AttemptOutcome } from '../types';
import { PassiveHealthState, type PassivePolicy, type PassiveTransition } from './health/passive';
import { ActiveHealthCheck, type ActiveHealthConfig } from './health/active';
import { Http2Dispatcher } from './h2-dispatcher';

/** Idle keep-alive connections are closed after this long; below Node's 5 s server default to avoid races. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 4_000;

/** A health change of one target, for logs. */
export interface HealthChange {
  readonly upstream: string;
  readonly target: string;
  readonly healthy: boolean;
  /** What changed it: passive ejection/readmission or an active check. */
  readonly cause: PassiveTransition | 'active-healthy' | 'active-unhealthy';
  readonly detail?: string;
}

/** Settings that shape the undici pool; a change in any of them means a new pool. */
export interface PoolSettings {
  readonly scheme: 'http' | 'https';
  readonly protocol: 'http1' | 'h2' | 'h2c';
  readonly host: string;
  readonly port: number;
  readonly poolSize: number;
  readonly connectMs: number;
  readonly requestMs: number;
  readonly idleMs: number;
  readonly servername?: string;
  readonly ca?: string;
  readonly rejectUnauthorized: boolean;
}

/** `host:port`, with brackets around IPv6 literals. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Live state of one target; shared by every snapshot that references it. */
export class TargetState {
  /** `host:port`, for logs and metric labels. */
  readonly key: string;
  readonly origin: string;
  /** An undici pool (HTTP/1.1) or an HTTP/2 session set (h2, h2c). */
  readonly dispatcher: Dispatcher;
  readonly passive = new PassiveHealthState();
  inFlight = 0;
  private active: ActiveHealthCheck | undefined;
  /** The active check's own connection, so probes never queue behind traffic in a busy pool. */
  private probeClient: Dispatcher | undefined;
  private readonly connect: Pool.Options['connect'];
  private closing: Promise<void> | undefined;

  constructor(
    /** Identity in the registry: upstream id plus every pool setting. */
    readonly registryKey: string,
    readonly upstreamId: string,
    readonly settings: PoolSettings,
    private readonly onHealthChange: (change: HealthChange) => void,
  ) {
    this.key = hostPort(settings.host, settings.port);
    this.origin = `${settings.scheme}://${this.key}`;
    const tls =
      settings.scheme === 'https'
        ? {
            ...(settings.servername ? { servername: settings.servername } : {}),
            ...(settings.ca ? { ca: settings.ca } : {}),
            rejectUnauthorized: settings.rejectUnauthorized,
          }
        : {};
    this.connect = { timeout: settings.connectMs, ...tls };
    this.dispatcher = settings.protocol === 'http1' ? new Pool(this.origin, {
      connections: settings.poolSize,
      keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: settings.requestMs,
      bodyTimeout: settings.idleMs,
      connect: this.connect,
    }) : this.http2(settings.poolSize);
  }

  private http2(maxSessions: number): Http2Dispatcher {
    const s = this.settings;
    return new Http2Dispatcher(this.origin, {
      connectMs: s.connectMs,
      maxSessions,
      idleMs: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      servername: s.servername,
      ca: s.ca,
      rejectUnauthorized: s.rejectUnauthorized,
    });
  }

  /** Healthy when neither passive ejection nor a failing active check holds it out. */
  get healthy(): boolean {
    return !this.passive.ejected && (this.active?.isHealthy ?? true);
  }

  /** False while an active check reports the target down. */
  get activeHealthy(): boolean {
    return this.active?.isHealthy ?? true;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Records the outcome of one attempt for passive health. */
  recordOutcome(outcome: AttemptOutcome, now: number, policy: PassivePolicy, mayEject?: () => boolean): void {
    const change = this.passive.record(outcome, now, policy, mayEject);
    if (change)
      this.onHealthChange({ upstream: this.upstreamId, target: this.key, healthy: change === 'readmitted', cause: change });
  }

  /** Starts, updates or stops the active check to follow the active snapshot's settings. */
  configureActive(config: ActiveHealthConfig): void {
    if (this.closing) return;
    if (!config.enabled) {
      this.stopActive();
      return;
    }
    if (this.active) {
      this.active.update(config);
      return;
    }
    const hostHeader = this.settings.servername ?? this.key;
    this.probeClient =
      this.settings.protocol === 'http1' ? new Client(this.origin, { connect: this.connect, keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT_MS }) : this.http2(1);
    this.active = new ActiveHealthCheck({ dispatcher: this.probeClient, origin: this.origin, hostHeader }, config, (healthy, detail) => {
      // A target that answers active checks again has recovered: drop a passive ejection too.
      if (healthy) this.passive.readmit();
      this.onHealthChange({
        upstream: this.upstreamId,
        target: this.key,
        healthy,
        cause: healthy ? 'active-healthy' : 'active-unhealthy',
        detail,
      });
    });
    this.active.start();
  }

  /** Stops the active check; the target counts as actively healthy again. */
  stopActive(): void {
    this.active?.stop();
    this.active = undefined;
    void this.probeClient?.destroy().catch(() => undefined);
    this.probeClient = undefined;
  }

  /** Stops health checks and closes the pool; requests in flight finish first. */
  close(): Promise<void> {
    this.stopActive();
    this.closing ??= this.dispatcher.close().catch(() => undefined);
    return this.closing;
  }
}

/** Pool settings of one target of an upstream, with defaults resolved. */
export function poolSettings(upstream: UpstreamConfig, target: TargetConfig, timeouts: { connectMs: number; requestMs: number; idleMs: number }): PoolSettings {
  return {
    scheme: upstream.scheme,
    protocol: upstream.protocol,
    host: target.host,
    port: target.port,
    poolSize: upstream.poolSize,
    connectMs: timeouts.connectMs,
    requestMs: timeouts.requestMs,
    idleMs: timeouts.idleMs,
    servername: upstream.tls?.servername,
    ca: upstream.tls?.ca,
    rejectUnauthorized: upstream.tls?.rejectUnauthorized ?? true,
  };
}
