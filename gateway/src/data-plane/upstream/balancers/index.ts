/** Load balancing algorithms and the factory that picks one from an upstream's config. */
import type { UpstreamConfig } from '../../../config/schema';
import type { Balancer } from './balancer';
import { ConsistentHash, hashKeyReader } from './consistent-hash';
import { LeastConnections } from './least-connections';
import { WeightedRoundRobin } from './round-robin';

export type { Balancer } from './balancer';
export { WeightedRoundRobin } from './round-robin';
export { LeastConnections } from './least-connections';
export { ConsistentHash, VIRTUAL_NODES_PER_TARGET, cookieValue, hashKeyReader, type HashOn } from './consistent-hash';
export { hash32 } from './hash';

/** Builds the balancer an upstream asks for; `inFlight(i)` reads live load for least-connections. */
export function createBalancer(
  config: UpstreamConfig,
  targetKeys: readonly string[],
  inFlight: (index: number) => number,
): Balancer {
  const weights = config.targets.map((t) => t.weight);
  const b = config.balancer;
  switch (b.algorithm) {
    case 'least-connections':
      return new LeastConnections(weights, inFlight);
    case 'consistent-hash':
      return new ConsistentHash(targetKeys, weights, hashKeyReader(b.hashOn ?? 'client-ip', b.hashKey));
    default:
      return new WeightedRoundRobin(weights);
  }
}
