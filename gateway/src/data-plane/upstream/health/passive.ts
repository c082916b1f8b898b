/**
 * Passive health: a target is ejected after `failures` consecutive failed attempts (connection
 * failures, timeouts, and the statuses the upstream lists). When `ejectMs` has passed, exactly one
 * half-open probe request may go to it: success readmits the target, failure ejects it again for
 * another `ejectMs`. Whether an ejection may happen at all (the upstream's ejection cap) is the
 * pool's decision, passed in as `mayEject`.
 */
import type { AttemptOutcome } from '../../types';

/** The passive health settings of one upstream, plus how long a claimed probe may stay unanswered. */
export interface PassivePolicy {
  readonly enabled: boolean;
  readonly failures: number;
  readonly ejectMs: number;
  /** After this long without an answer a claimed probe lapses and another request may probe. */
  readonly probeClaimMs: number;
  /** Upstream response statuses that count as failures. */
  readonly statuses: ReadonlySet<number>;
  /** Most targets of the upstream ejected at once, in percent. */
  readonly maxEjectionPercent: number;
}

/** No cap: any target may be ejected. */
const EJECT_ANY = (): boolean => true;

/** What passive health allows for a target right now. */
export type PassiveVerdict = 'admitted' | 'probe' | 'ejected';

/** A change worth logging and exporting. */
export type PassiveTransition = 'ejected' | 'readmitted' | 're-ejected';

/** Passive health state of one target; survives reloads with the target. */
export class PassiveHealthState {
  private consecutiveFailures = 0;
  private ejectedUntil: number | undefined;
  private probeSince: number | undefined;

  /** True while the target is ejected (including while its half-open probe runs). */
  get ejected(): boolean {
    return this.ejectedUntil !== undefined;
  }

  /** `probe` means: ejected, the wait is over and nobody probes yet; the caller may claim the probe. */
  verdict(now: number, policy: PassivePolicy): PassiveVerdict {
    if (this.ejectedUntil === undefined) return 'admitted';
    if (now < this.ejectedUntil) return 'ejected';
    if (this.probeSince !== undefined && now - this.probeSince < policy.probeClaimMs) return 'ejected';
    return 'probe';
  }

  /** Marks the half-open probe as taken by the request about to be sent. */
  claimProbe(now: number): void {
    this.probeSince = now;
  }

  /**
   * Feeds the outcome of one attempt. Results of requests sent before an ejection do not count.
   * `mayEject` is asked only when the target reaches its failure count; when it says no, the target stays in (and is ejected by
   * the next failure once the cap allows it).
   */
  record(outcome: AttemptOutcome, now: number, policy: PassivePolicy, mayEject: () => boolean = EJECT_ANY): PassiveTransition | undefined {
    if (!policy.enabled) return undefined;
    if (this.ejectedUntil !== undefined) {
      if (this.probeSince === undefined) return undefined;
      this.probeSince = undefined;
      if (outcome === 'success') {
        this.readmit();
        return 'readmitted';
      }
      this.ejectedUntil = now + policy.ejectMs;
      return 're-ejected';
    }
    if (outcome === 'success') {
      this.consecutiveFailures = 0;
      return undefined;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures < policy.failures) return undefined;
    if (!mayEject()) {
      this.consecutiveFailures = policy.failures;
      return undefined;
    }
    this.consecutiveFailures = 0;
    this.ejectedUntil = now + policy.ejectMs;
    return 'ejected';
  }

  /** Clears any ejection (an active check saw the target recover). */
  readmit(): void {
    this.consecutiveFailures = 0;
    this.ejectedUntil = undefined;
    this.probeSince = undefined;
  }
}
