/** Config sources and the sync loop that feeds a data plane: store (push + pull), last-known-good file, S3 backup. */
export { ConfigSync, type ConfigSyncOptions, type StartResult } from './config-sync';
export { FileConfigSource, readConfigFile, type ConfigFile } from './file-source';
// What a config source feeds (the data plane, or the standalone file import): its side of the contract.
export type { ApplyResult, ConfigMeta, ConfigSink } from '../data-plane/types';
export { dropRefusal } from './drop-guard';
export { readLastKnownGood, writeLastKnownGood } from './last-known-good';
export { parseVersionFile, formatVersionFile } from './version-file';
export * from './s3';
export { syncMetrics, backupMetrics } from './metrics';
