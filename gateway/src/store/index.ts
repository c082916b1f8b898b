/** The config store: numbered, immutable config versions in PostgreSQL or the embedded PGlite. */
export * from './types';
export { openConfigStore, type StoreOptions } from './factory';
export { SqlConfigStore, CONFIG_CHANNEL, DEFAULT_RETENTION_VERSIONS, CorruptVersionError, WriteOutcomeUnknownError } from './sql-config-store';
export { migrate, MIGRATIONS, type Migration } from './migrations';
export { pgClient, pgliteClient, DEFAULT_STORE_DEADLINE_MS, type SqlClient } from './sql';
export { RDS_CA_BUNDLE, SYSTEM_CA_STORE, type StoreSettingNames } from './tls';
export { DATA_PLANE_TABLES, keepReaderRole, type ReaderCredentials } from './reader-role';
export { advanceHeld, type HeldVersion } from './advance';
export { SNAPSHOT_EVERY_CHANGES, SNAPSHOT_EVERY_VERSIONS } from './snapshots';
