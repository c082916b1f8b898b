/**
 * The balancer contract. A balancer picks the index of one target of an upstream; the pool says
 * which indexes are eligible (healthy, weight above 0, not already tried by this request).
 */
import type { PickInput } from '../../types';

export interface Balancer {
  /** Index of the chosen target, or -1 when `eligible` accepts none. */
  pick(eligible: (index: number) => boolean, input: PickInput): number;
}
