/**
 * Weighted least connections: the target with the fewest requests in flight per unit of weight.
 * Ties are broken round robin (the scan starts after the last chosen target), so an idle
 * upstream still spreads requests instead of sending all of them to the first target.
 */
import type { Balancer } from './balancer';

export class LeastConnections implements Balancer {
  private next = 0;

  constructor(
    private readonly weights: readonly number[],
    private readonly inFlight: (index: number) => number,
  ) {}

  pick(eligible: (index: number) => boolean): number {
    const n = this.weights.length;
    let best = -1;
    let bestLoad = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n;
      if (!eligible(i)) continue;
      const load = this.inFlight(i);
      // load_i / w_i < load_best / w_best, without division.
      if (best < 0 || load * this.weights[best] < bestLoad * this.weights[i]) {
        best = i;
        bestLoad = load;
      }
    }
    if (best >= 0) this.next = (best + 1) % n;
    return best;
  }
}
