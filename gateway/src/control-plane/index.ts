/** The control plane: the admin API over the config store, the S3 backup of every version, and the restore of an empty store from it, and the imports of config files into the store. */
export { buildAdminServer, type AdminServerOptions } from './server';
export { ConfigBackup, type ConfigBackupOptions } from './backup';
export { restoreEmptyStoreFromS3 } from './restore';
export { ConfigService } from './config-service';
export { attachFileImport, StoreImportSink } from './file-import';
export { importInitialConfig, INITIAL_CONFIG_AUTHOR } from './initial-config';
export { StoreHealth, type StoreReadiness } from './store-health';
export { diffConfigs, type ConfigDiff } from './diff';
export * from './auth';
