/** Config sources and the sync loop that feeds a data plane: store (push + pull), last-known-good file, S3 backup. */
export { ConfigSync, type ConfigSyncOptions, type StartResult, type SyncError } from './config-sync';
export { dropRefusal } from './drop-guard';
export { readLastKnownGood, writeLastKnownGood } from './last-known-good';
export { parseVersionFile, formatVersionFile } from './version-file';
export * from './s3';
export { syncMetrics, backupMetrics } from './metrics';
export { HeartbeatWriter, parseHeartbeat, NODE_ID_PATTERN, type Heartbeat, type HeartbeatLocation } from './heartbeat';
