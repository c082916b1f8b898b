/** Upstreams: target pools shared across snapshots, load balancing and health checks. */
export { TargetRegistry, passivePolicy, type TargetInfo, type TargetLease, type TargetRegistryOptions } from './target-registry';
export { TargetState, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, hostPort, type HealthChange, type PoolSettings } from './target-state';
export { BalancedUpstreamPool, TargetView } from './pool';
export { resolveTimeouts } from './timeouts';
export { PassiveHealthState, type PassivePolicy, type PassiveVerdict, type PassiveTransition } from './health/passive';
export { ActiveHealthCheck, type ActiveHealthConfig } from './health/active';
export * from './balancers';
export type { RequestTrailerSource, Http2DispatchOptions } from './h2-dispatcher';
