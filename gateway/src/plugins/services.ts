/**
 * The one factory for what plugins share: the rate-limit store (Redis when `REDIS_URL` is set,
 * memory otherwise) and the logger. `main.ts` creates it once and closes it on shutdown.
 */
import type { GatehouseSettings } from '../settings/schema';
import type { PluginLogger, PluginServices } from './contract';
import { createRateLimitStore } from './rate-limit/factory';
import type { RateLimitStore } from './rate-limit/store';

export interface ClosablePluginServices extends PluginServices {
  readonly rateLimit: RateLimitStore;
  close(): Promise<void>;
}

type StoreSettings = Pick<GatehouseSettings, 'redisUrl' | 'redisCluster' | 'redisKeyPrefix' | 'rateLimitBudgetMs' | 'rateLimitNodeCount'>;

/** Creates the plugin services from the process settings. */
export function createPluginServices(settings: Partial<StoreSettings>, logger?: PluginLogger): ClosablePluginServices {
  const rateLimit = createRateLimitStore({
    redisUrl: settings.redisUrl,
    redisCluster: settings.redisCluster,
    keyPrefix: settings.redisKeyPrefix,
    budgetMs: settings.rateLimitBudgetMs,
    nodeCount: settings.rateLimitNodeCount,
    logger,
  });
  return { rateLimit, logger, close: () => rateLimit.close() };
}
