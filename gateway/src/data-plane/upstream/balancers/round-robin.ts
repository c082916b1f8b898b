/**
 * Smooth weighted round robin (the nginx algorithm): every pick adds each eligible target's weight
 * to its running score, takes the highest score and subtracts the total. Weights 5,1,1 give
 * a a b a c a a rather than a a a a a b c, and a cycle of sum(weights) picks serves each target
 * exactly its weight.
 */
import type { Balancer } from './balancer';

export class WeightedRoundRobin implements Balancer {
  private readonly scores: number[];

  constructor(private readonly weights: readonly number[]) {
    this.scores = weights.map(() => 0);
  }

  pick(eligible: (index: number) => boolean): number {
    let best = -1;
    let total = 0;
    for (let i = 0; i < this.weights.length; i++) {
      if (!eligible(i)) continue;
      this.scores[i] += this.weights[i];
      total += this.weights[i];
      if (best < 0 || this.scores[i] > this.scores[best]) best = i;
    }
    if (best >= 0) this.scores[best] -= total;
    return best;
  }
}
