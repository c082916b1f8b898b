/** The control plane: the admin API over the config store, the S3 backup of every version, and the restore of an empty store from it. */
export { buildAdminServer, type AdminServerOptions } from './server';
export { ConfigBackup, type ConfigBackupOptions } from './backup';
export { restoreEmptyStoreFromS3 } from './restore';
export { ConfigService } from './config-service';
export { StoreHealth, type StoreReadiness } from './store-health';
export { diffConfigs, type ConfigDiff } from './diff';
export * from './auth';
export { DeployInbox, DEFAULT_DEPLOY_POLL_MS, type DeployInboxOptions } from './deploy-inbox';
export { FleetView, type Fleet, type FleetNode, type NodeState } from './fleet';
