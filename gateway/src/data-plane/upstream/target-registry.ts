/**
 * `TargetRegistry` owns every target's undici pool and health state across snapshots.
 *
 * Life cycle:
 * - `compileSnapshot` takes a `lease()` and builds each upstream through it. A target whose upstream
 *   id, address, TLS and pool settings did not change keeps its live state, so a reload keeps
 *   keep-alive connections, in-flight counts and health.
 * - `activate(snapshot)` once it is the running snapshot: active health checks start or follow its
 *   settings; targets it no longer uses stop being probed.
 * - `release(retired, live)` once a replaced snapshot serves no request any more: targets it used
 *   that no live snapshot uses are closed (`Pool.close()` is graceful anyway).
 * - `closeAll()` at shutdown.
 */
import { createHash } from 'node:crypto';
import type { UpstreamConfig } from '../../config/schema';
import type { Snapshot } from '../types';
import type { PassivePolicy } from './health/passive';
import { BalancedUpstreamPool } from './pool';
import { TargetState, poolSettings, type HealthChange, type PoolSettings } from './target-state';
import { resolveTimeouts } from './timeouts';

/** One target as metrics see it. */
export interface TargetInfo {
  readonly upstream: string;
  /** `host:port`. */
  readonly target: string;
  readonly origin: string;
  readonly healthy: boolean;
  /** Held out by passive health (consecutive failures). */
  readonly ejected: boolean;
  /** False while active health checks report it down. */
  readonly activeHealthy: boolean;
  readonly inFlight: number;
}

export interface TargetRegistryOptions {
  /** Called on every health transition (for logs). */
  readonly onHealthChange?: (change: HealthChange) => void;
  /** Clock in ms; tests may replace it. */
  readonly now?: () => number;
}

/** What one compile obtains from the registry. */
export interface TargetLease {
  /** Builds the pool of one upstream, reusing live target state where possible. */
  upstreamPool(config: UpstreamConfig): BalancedUpstreamPool;
  /** The snapshot built with this lease shares `previous`'s upstream pools as they are: it uses the same targets. */
  inherit(previous: Snapshot): void;
  /** Ties the lease to the snapshot built with it (for `activate` and `release`). */
  bind(snapshot: Snapshot): void;
  /** The compile failed: closes the targets this lease created. */
  abandon(): void;
}

interface LeaseRecord {
  /** Registry keys used, with the live state and the upstream config that uses it. */
  readonly used: Map<string, { readonly state: TargetState; readonly upstream: UpstreamConfig }>;
  /** Keys whose state this lease created. */
  readonly created: Set<string>;
}

function registryKey(upstreamId: string, s: PoolSettings): string {
  const ca = s.ca ? createHash('sha256').update(s.ca).digest('hex').slice(0, 16) : '';
  return [upstreamId, s.scheme, s.protocol, s.host, s.port, s.poolSize, s.connectMs, s.requestMs, s.idleMs, s.servername ?? '', ca, s.rejectUnauthorized].join('|');
}

/** The passive health policy of an upstream; a claimed probe lapses after its connect + request timeouts. */
export function passivePolicy(config: UpstreamConfig): PassivePolicy {
  const p = config.healthChecks.passive;
  const t = resolveTimeouts(config.timeouts);
  return {
    enabled: p.enabled,
    failures: p.failures,
    ejectMs: p.ejectMs,
    probeClaimMs: t.connectMs + t.requestMs,
    statuses: new Set(p.statuses),
    maxEjectionPercent: p.maxEjectionPercent,
  };
}

export class TargetRegistry {
  private readonly live = new Map<string, TargetState>();
  private readonly leases = new WeakMap<Snapshot, LeaseRecord>();
  private readonly now: () => number;
  private readonly onHealthChange: (change: HealthChange) => void;

  constructor(options: TargetRegistryOptions = {}) {
    this.now = options.now ?? Date.now;
    this.onHealthChange = options.onHealthChange ?? (() => undefined);
  }

  /** Starts building a snapshot. */
  lease(): TargetLease {
    const record: LeaseRecord = { used: new Map(), created: new Set() };
    return {
      upstreamPool: (config) => this.buildPool(config, record),
      inherit: (previous) => {
        for (const [key, use] of this.recordOf(previous).used) record.used.set(key, use);
      },
      bind: (snapshot) => {
        this.leases.set(snapshot, record);
      },
      abandon: () => {
        for (const key of record.created) {
          const state = this.live.get(key);
          this.live.delete(key);
          void state?.close();
        }
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
        record.created.add(key);
      }
      record.used.set(key, { state, upstream: config });
      return state;
    });
    return new BalancedUpstreamPool(config, states, passivePolicy(config), this.now);
  }

  private recordOf(snapshot: Snapshot): LeaseRecord {
    const record = this.leases.get(snapshot);
    if (!record) throw new Error(`snapshot version ${snapshot.version} was not compiled with this target registry`);
    return record;
  }

  /** `snapshot` is now the running one: active health checks follow its settings. */
  activate(snapshot: Snapshot): void {
    const record = this.recordOf(snapshot);
    for (const [key, state] of this.live) {
      const use = record.used.get(key);
      if (use?.state === state) state.configureActive(use.upstream.healthChecks.active);
      else state.stopActive();
    }
  }

  /** `retired` serves no request any more: closes the targets it used that no `live` snapshot uses. */
  release(retired: Snapshot, live: readonly Snapshot[]): void {
    const record = this.recordOf(retired);
    const stillUsed = new Set<TargetState>();
    for (const s of live) for (const use of this.recordOf(s).used.values()) stillUsed.add(use.state);
    for (const [key, { state }] of record.used) {
      if (stillUsed.has(state)) continue;
      if (this.live.get(key) === state) this.live.delete(key);
      void state.close();
    }
  }

  /** Every open target with its health and load, for metrics. */
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
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
