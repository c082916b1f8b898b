/** rate-limit: the plugin, its store contract and the factory that picks Redis or memory. */
export { rateLimit, RateLimitSchema, type RateLimitConfig } from './plugin';
export { createRateLimitStore, DEFAULT_KEY_PREFIX, DEFAULT_RATE_LIMIT_BUDGET_MS, type RateLimitStoreOptions } from './factory';
export { limitSpec, type LimitSpec, type RateLimitDecision, type RateLimitStore, type FailureMode } from './store';
export { MemoryRateLimitStore, LocalLimiter } from './local';
export { RedisRateLimitStore, createRedisClient } from './redis';
export { CircuitBreaker, type BreakerState } from './breaker';
