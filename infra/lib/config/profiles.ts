/**
 * Profile defaults: what `dev` and `prod` mean in sizes, retention and protection. A value set in
 * the deployment config always wins over its profile default.
 */
import type { ProfileName, TrafficShiftingName } from './schema';

export interface ProfileDefaults {
  readonly cpu: 256 | 512 | 1024 | 2048 | 4096;
  readonly memoryMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly targetCpuPercent: number;
  readonly requestsPerTarget: number;
  readonly redisNodeType: string;
  readonly redisReplicas: number;
  readonly redisSnapshotRetentionDays: number;
  readonly databaseInstanceClass: string;
  readonly databaseAllocatedStorageGiB: number;
  readonly backupRetentionDays: number;
  readonly natGateways: number;
  readonly trafficShifting: TrafficShiftingName;
  /** Data (database, cache snapshots, backup bucket, logs) is kept when the stack is deleted. */
  readonly retainData: boolean;
  readonly deletionProtection: boolean;
  readonly logRetentionDays: number;
}

export const PROFILE_DEFAULTS: Readonly<Record<ProfileName, ProfileDefaults>> = {
  dev: {
    cpu: 512,
    memoryMiB: 1024,
    minTasks: 2,
    maxTasks: 4,
    targetCpuPercent: 60,
    requestsPerTarget: 1000,
    redisNodeType: 'cache.t4g.small',
    redisReplicas: 1,
    redisSnapshotRetentionDays: 1,
    databaseInstanceClass: 'db.t4g.medium',
    databaseAllocatedStorageGiB: 20,
    backupRetentionDays: 7,
    natGateways: 1,
    trafficShifting: 'canary',
    retainData: false,
    deletionProtection: false,
    logRetentionDays: 30,
  },
  prod: {
    cpu: 1024,
    memoryMiB: 2048,
    minTasks: 3,
    maxTasks: 12,
    targetCpuPercent: 50,
    requestsPerTarget: 2000,
    redisNodeType: 'cache.r7g.large',
    redisReplicas: 2,
    redisSnapshotRetentionDays: 7,
    databaseInstanceClass: 'db.r7g.large',
    databaseAllocatedStorageGiB: 100,
    backupRetentionDays: 14,
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
