/**
 * `UpstreamPool`: one upstream as one snapshot sees it. The targets' live state (keep-alive pool,
 * in-flight count, health) is shared with other snapshots through `TargetState`; the balancer state
 * and the config (weights, passive health policy) belong to this snapshot.
 *
 * Limits that protect the upstream as a whole live here, as in Envoy: passive health never ejects
 * more than `maxEjectionPercent` of the targets, nor the last healthy one; and when every target is
 * unhealthy the balancer spreads requests over all of them (panic mode) rather than answer 503 to
 * everyone because of what the health checks believe.
 */
import type { TargetConfig, UpstreamConfig } from '../../config/schema';
import type { AttemptOutcome, PickInput, TargetHandle, UpstreamPool } from '../types';
import { createBalancer, type Balancer } from './balancers';
import type { PassivePolicy } from './health/passive';
import type { TargetState } from './target-state';

/** A target as one snapshot sees it: its config (weight) plus the shared live state. */
export class TargetView implements TargetHandle {
  constructor(
    readonly index: number,
    readonly config: TargetConfig,
    readonly state: TargetState,
  ) {}

  get key(): string {
    return this.state.key;
  }
  get dispatcher() {
    return this.state.dispatcher;
  }
  get origin(): string {
    return this.state.origin;
  }
  get healthy(): boolean {
    return this.state.healthy;
  }
  get inFlight(): number {
    return this.state.inFlight;
  }
}

/** A target that may take requests at all (health aside): weighted, open, and not already tried by this request. */
function usable(t: TargetView, exclude: ReadonlySet<TargetHandle> | undefined): boolean {
  return t.config.weight > 0 && !t.state.closed && (exclude === undefined || !exclude.has(t));
}

export class BalancedUpstreamPool implements UpstreamPool {
  readonly id: string;
  readonly targets: readonly TargetView[];
  private readonly balancer: Balancer;

  constructor(
    readonly config: UpstreamConfig,
    states: readonly TargetState[],
    private readonly passive: PassivePolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.id = config.id;
    this.targets = config.targets.map((t, i) => new TargetView(i, t, states[i]));
    this.balancer = createBalancer(
      config,
      this.targets.map((t) => t.key),
      (i) => this.targets[i].state.inFlight,
    );
  }

  pick(input: PickInput, exclude?: ReadonlySet<TargetHandle>): TargetHandle | undefined {
    const now = this.now();
    const targets = this.targets;
    const passive = this.passive;
    const eligible = (i: number): boolean => {
      const t = targets[i];
      if (!usable(t, exclude)) return false;
      const state = t.state;
      if (!state.activeHealthy) return false;
      return !passive.enabled || state.passive.verdict(now, passive) !== 'ejected';
    };
    let index = this.balancer.pick(eligible, input);
    // Panic mode: no target is healthy, so health is ignored (a first attempt only; retries keep to healthy ones).
    if (index < 0 && exclude === undefined && !targets.some((t) => usable(t, undefined) && t.state.healthy)) index = this.balancer.pick((i) => usable(targets[i], undefined), input);
    if (index < 0) return undefined;
    const chosen = targets[index];
    if (passive.enabled && chosen.state.passive.verdict(now, passive) === 'probe') chosen.state.passive.claimProbe(now);
    return chosen;
  }

  statusOutcome(status: number): AttemptOutcome {
    return this.passive.statuses.has(status) ? 'server-error' : 'success';
  }

  begin(target: TargetHandle): void {
    (target as TargetView).state.inFlight++;
  }

  end(target: TargetHandle, outcome: AttemptOutcome): void {
    const state = (target as TargetView).state;
    if (state.inFlight > 0) state.inFlight--;
    // The ejection cap is worked out only when a failure would eject (it walks the upstream's targets).
    state.recordOutcome(outcome, this.now(), this.passive, outcome === 'success' ? undefined : () => this.mayEject(state));
  }

  /** True when ejecting `candidate` keeps within `maxEjectionPercent` and leaves a healthy target. */
  private mayEject(candidate: TargetState): boolean {
    let ejected = 0;
    let healthyOthers = 0;
    for (const t of this.targets) {
      if (t.state.passive.ejected) ejected++;
      else if (t.state !== candidate && t.state.healthy && t.config.weight > 0) healthyOthers++;
    }
    return healthyOthers > 0 && ((ejected + 1) * 100) / this.targets.length <= this.passive.maxEjectionPercent;
  }
}
