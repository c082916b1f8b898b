/**
 * `TargetRegistry` owns every target's undici pool and health state across snapshots.
 *
 * Life cycle: `compileSnapshot` calls `lease()` and builds each upstream through the lease; the
 * registry reuses the live state of targets whose upstream id, address, TLS and pool settings did
 * not change, so a reload keeps keep-alive connections and health. After the new snapshot is
 * swapped in, the caller calls `sweep(snapshot)`: active health checks start or follow the new
 * settings, and targets the snapshot no longer uses are retired: their pool is closed after
 * `RETIRE_GRACE_MS`, and `close()` still lets requests in flight on older snapshots finish.
 * `closeAll()` is for shutdown.
 */
import { createHash } from 'node:crypto';
import type { UpstreamConfig } from '../../config/schema';
import type { Snapshot } from '../types';
import type { PassivePolicy } from './health/passive';
import { BalancedUpstreamPool } from './pool';
import { TargetState, poolSettings, type HealthChange, type PoolSettings } from './target-state';
import { resolveTimeouts } from './timeouts';

/** How long a target dropped by a reload stays open for requests still running on older snapshots. */
export const RETIRE_GRACE_MS = 5_000;

/** One target as metrics see it. */
export interface TargetInfo {
  readonly upstream: string;
  /** `host:port`. */
  readonly target: string;
  readonly origin: string;
  readonly healthy: boolean;
  readonly ejected: boolean;
  readonly activeHealthy: boolean;
  readonly inFlight: number;
}

export interface TargetRegistryOptions {
  /** Called on every health transition (for logs). */
  readonly onHealthChange?: (change: HealthChange) => void;
  /** Clock in ms; tests may replace it. */
  readonly now?: () => number;
}

/** What one compile obtained from the registry; `sweep` needs it to know what a snapshot uses. */
export interface TargetLease {
  /** Builds the pool of one upstream, reusing live target state where possible. */
  upstreamPool(config: UpstreamConfig): BalancedUpstreamPool;
  /** Ties the lease to the snapshot built with it. */
  bind(snapshot: Snapshot): void;
}

interface LeaseRecord {
  readonly generation: number;
  /** Registry keys used, with the upstream config that uses each. */
  readonly used: Map<string, UpstreamConfig>;
}

function registryKey(upstreamId: string, s: PoolSettings): string {
  const ca = s.ca ? createHash('sha256').update(s.ca).digest('hex').slice(0, 16) : '';
  return [upstreamId, s.scheme, s.host, s.port, s.poolSize, s.connectMs, s.requestMs, s.idleMs, s.servername ?? '', ca, s.rejectUnauthorized].join('|');
}

/** The passive health policy of an upstream, with the probe claim lapse derived from its timeouts. */
export function passivePolicy(config: UpstreamConfig): PassivePolicy {
  const p = config.healthChecks.passive;
  const t = resolveTimeouts(config.timeouts);
  return { enabled: p.enabled, failures: p.failures, ejectMs: p.ejectMs, probeClaimMs: t.connectMs + t.requestMs };
}

export class TargetRegistry {
  private readonly live = new Map<string, TargetState>();
  /** Targets dropped by a reload, with the timer that closes them. */
  private readonly retiring = new Map<TargetState, NodeJS.Timeout>();
  private readonly leases = new WeakMap<Snapshot, LeaseRecord>();
  /** Last generation that used each registry key. */
  private readonly lastUsed = new Map<string, number>();
  private generation = 0;
  private readonly now: () => number;
  private readonly onHealthChange: (change: HealthChange) => void;

  constructor(options: TargetRegistryOptions = {}) {
    this.now = options.now ?? Date.now;
    this.onHealthChange = options.onHealthChange ?? (() => undefined);
  }

  /** Starts building a snapshot. */
  lease(): TargetLease {
    const record: LeaseRecord = { generation: ++this.generation, used: new Map() };
    return {
      upstreamPool: (config) => this.buildPool(config, record),
      bind: (snapshot) => {
        this.leases.set(snapshot, record);
      },
    };
  }

  private buildPool(config: UpstreamConfig, record: LeaseRecord): BalancedUpstreamPool {
    const timeouts = resolveTimeouts(config.timeouts);
    const states = config.targets.map((target) => {
      const settings = poolSettings(config, target, timeouts);
      const key = registryKey(config.id, settings);
      let state = this.live.get(key);
      if (!state) {
        state = new TargetState(key, config.id, settings, this.onHealthChange);
        this.live.set(key, state);
      }
      record.used.set(key, config);
      this.lastUsed.set(key, record.generation);
      return state;
    });
    return new BalancedUpstreamPool(config, states, passivePolicy(config), this.now);
  }

  /**
   * Call after `active` became the running snapshot: active health checks follow its settings, and
   * targets it does not use (and no newer compile uses) are retired.
   */
  sweep(active: Snapshot): void {
    const record = this.leases.get(active);
    if (!record) throw new Error('sweep() got a snapshot that this registry did not build');
    for (const [key, state] of this.live) {
      const upstream = record.used.get(key);
      if (upstream) {
        state.configureActive(upstream.healthChecks.active);
        continue;
      }
      if ((this.lastUsed.get(key) ?? 0) > record.generation) continue;
      this.live.delete(key);
      this.lastUsed.delete(key);
      this.retire(state);
    }
  }

  private retire(state: TargetState): void {
    state.stopActive();
    const timer = setTimeout(() => {
      this.retiring.delete(state);
      void state.close();
    }, RETIRE_GRACE_MS);
    timer.unref();
    this.retiring.set(state, timer);
  }

  /** Every live target with its health and load, for metrics. */
  targets(): TargetInfo[] {
    return [...this.live.values()].map((s) => ({
      upstream: s.upstreamId,
      target: s.key,
      origin: s.origin,
      healthy: s.healthy,
      ejected: s.passive.ejected,
      activeHealthy: s.activeHealthy,
      inFlight: s.inFlight,
    }));
  }

  /** Stops every health check and closes every pool, letting requests in flight finish. */
  async closeAll(): Promise<void> {
    for (const timer of this.retiring.values()) clearTimeout(timer);
    const all = [...this.live.values(), ...this.retiring.keys()];
    this.live.clear();
    this.retiring.clear();
    this.lastUsed.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
