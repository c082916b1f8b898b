/**
 * The one factory for what plugins share: the rate-limit store (Redis when `REDIS_URL` is set,
 * memory otherwise) and the logger. `main.ts` creates it once and closes it on shutdown.
 */
import type { MetricsRegistry } from '../core/metrics';
import type { PluginLogger, PluginServices } from './contract';
import { createRateLimitStore } from './rate-limit/factory';
import type { RateLimitStore } from './rate-limit/store';

export interface ClosablePluginServices extends PluginServices {
  readonly rateLimit: RateLimitStore;
  close(): Promise<void>;
}

/** The process settings the plugin services read (named as in the settings; the process settings object fits). */
export interface PluginServiceSettings {
  readonly redisUrl?: string;
  readonly redisCluster?: boolean;
  readonly redisKeyPrefix?: string;
  readonly rateLimitBudgetMs?: number;
  readonly rateLimitNodeCount?: number;
}

/** Creates the plugin services from the process settings; their metrics go on the node's `registry`. */
export function createPluginServices(settings: PluginServiceSettings, logger?: PluginLogger, registry?: MetricsRegistry): ClosablePluginServices {
  const rateLimit = createRateLimitStore({
    redisUrl: settings.redisUrl,
    redisCluster: settings.redisCluster,
    keyPrefix: settings.redisKeyPrefix,
    budgetMs: settings.rateLimitBudgetMs,
    nodeCount: settings.rateLimitNodeCount,
    logger,
    registry,
  });
  return { rateLimit, logger, registry, close: () => rateLimit.close() };
}
