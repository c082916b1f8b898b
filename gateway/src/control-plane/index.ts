/** The control plane: the admin API over the config store, and the S3 backup of every version. */
export { buildAdminServer, type AdminServerOptions } from './server';
export { ConfigBackup, type ConfigBackupOptions } from './backup';
export { ConfigService } from './config-service';
export { StoreHealth, type StoreReadiness } from './store-health';
export { diffConfigs, type ConfigDiff } from './diff';
export * from './auth';
