/** The one place that chooses the rate-limit store: Redis when a URL is configured, memory otherwise. */
import type { MetricsRegistry } from '../../core/metrics';
import type { PluginLogger } from '../contract';
import { rateLimitMetrics, unscrapedRateLimitMetrics } from './metrics';
import { MemoryRateLimitStore } from './local';
import { createRedisClient, DEFAULT_COMMAND_TIMEOUT_MS, RedisRateLimitStore } from './redis';
import type { RateLimitStore } from './store';

export interface RateLimitStoreOptions {
  readonly redisUrl?: string;
  readonly redisCluster?: boolean;
  readonly keyPrefix?: string;
  readonly budgetMs?: number;
  readonly nodeCount?: number;
  readonly logger?: PluginLogger;
  /** The node's metrics registry; without it the store's metrics are not exported. */
  readonly registry?: MetricsRegistry;
  /** Tests shorten the probe interval to see recovery quickly. */
  readonly breakerProbeIntervalMs?: number;
}

export const DEFAULT_KEY_PREFIX = 'gatehouse:';
/**
 * Longest wait for Redis per decision when no budget is given; the process setting
 * (`rateLimitBudgetMs`) has the same default, which a test keeps equal (plugins do not import settings).
 */
export const DEFAULT_RATE_LIMIT_BUDGET_MS = 5;

/** Creates the store the rate-limit plugin shares across routes and config versions. */
export function createRateLimitStore(options: RateLimitStoreOptions = {}): RateLimitStore {
  const metrics = options.registry ? rateLimitMetrics(options.registry) : unscrapedRateLimitMetrics();
  if (!options.redisUrl) return new MemoryRateLimitStore(undefined, metrics);
  const budgetMs = options.budgetMs ?? DEFAULT_RATE_LIMIT_BUDGET_MS;
  const client = createRedisClient(options.redisUrl, options.redisCluster, Math.max(DEFAULT_COMMAND_TIMEOUT_MS, 2 * budgetMs));
  return new RedisRateLimitStore(client, {
    keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
    budgetMs,
    nodeCount: options.nodeCount ?? 1,
    logger: options.logger,
    breakerProbeIntervalMs: options.breakerProbeIntervalMs,
    metrics,
  });
}
