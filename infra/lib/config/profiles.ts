/**
 * Profile defaults: what `dev` and `prod` mean in sizes, retention and protection. `dev` is the
 * constructs' own defaults (each construct's defaults live in that construct, once); `prod` names
 * the same props with bigger values. A value set in the deployment config always wins.
 */
import { CONFIG_DATABASE_DEFAULTS } from '../constructs/config-database';
import { GATEWAY_SERVICE_DEFAULTS } from '../constructs/gateway-service';
import { NETWORK_DEFAULTS } from '../constructs/network-foundation';
import { RATE_LIMIT_CACHE_DEFAULTS } from '../constructs/rate-limit-cache';
import type { ProfileName, TrafficShiftingName } from './schema';

/** The data plane's sizes: the props of `GatewayService` of the same names. */
export interface TaskSizes {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly targetCpuPercent: number;
  readonly requestsPerTask: number;
}

/** The rate-limit cache's sizes: the props of `RateLimitCache` of the same names. */
export interface CacheSizes {
  readonly nodeType: string;
  readonly replicas: number;
  readonly snapshotRetentionDays: number;
}

/** The config database's sizes: the props of `ConfigDatabase` of the same names. */
export interface DatabaseSizes {
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
  readonly backupRetentionDays: number;
}

export interface ProfileDefaults {
  readonly task: TaskSizes;
  readonly redis: CacheSizes;
  readonly database: DatabaseSizes;
  readonly natGateways: number;
  readonly trafficShifting: TrafficShiftingName;
  /** Data (database, cache snapshots, backup bucket, logs) is kept when the stack is deleted. */
  readonly retainData: boolean;
  readonly deletionProtection: boolean;
  readonly logRetentionDays: number;
}

export const PROFILE_DEFAULTS: Readonly<Record<ProfileName, ProfileDefaults>> = {
  dev: {
    task: GATEWAY_SERVICE_DEFAULTS,
    redis: RATE_LIMIT_CACHE_DEFAULTS,
    database: CONFIG_DATABASE_DEFAULTS,
    natGateways: NETWORK_DEFAULTS.natGateways,
    trafficShifting: 'canary',
    retainData: false,
    deletionProtection: false,
    logRetentionDays: 30,
  },
  prod: {
    task: { cpu: 1024, memoryMiB: 2048, minTasks: 3, maxTasks: 12, targetCpuPercent: 50, requestsPerTask: 2000 },
    redis: { nodeType: 'cache.r7g.large', replicas: 2, snapshotRetentionDays: 7 },
    database: { instanceClass: 'db.r7g.large', allocatedStorageGiB: 100, backupRetentionDays: 14 },
    natGateways: 3,
    trafficShifting: 'canary',
    retainData: true,
    deletionProtection: true,
    logRetentionDays: 365,
  },
};

/** Valid Fargate memory sizes (MiB) for each CPU size (units). */
export const FARGATE_MEMORY_MIB: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};
