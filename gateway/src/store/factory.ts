/** Chooses the config store: PostgreSQL when a URL is given, otherwise the embedded PGlite persisted on disk. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { migrate } from './migrations';
import { pgClient, pgliteClient, type SqlClient } from './sql';
import { keepReaderRole, type ReaderCredentials } from './reader-role';
import { STORE_SETTING_KEYS, type StoreSettingNames } from './tls';
import { SqlConfigStore } from './sql-config-store';
import type { ConfigStore } from './types';

export interface StoreOptions {
  /** PostgreSQL URL; when absent, PGlite in `<dataDir>/store`. */
  databaseUrl?: string;
  dataDir?: string;
  /** Apply migrations at start-up (control plane, standalone). Data planes with read-only credentials pass false. */
  migrate: boolean;
  retention?: number;
  /** Connections in the pool (pg only). */
  poolSize?: number;
  /** The CA the PostgreSQL server is verified against (`verify-full`): `rds`, `system` or a PEM file; unset, the URL decides. */
  databaseCa?: string;
  /** The store settings' names, for error messages. */
  settingNames?: StoreSettingNames;
  /** Control plane: the data planes' read-only role to keep (created, password set, grants exact) after the migrations. */
  reader?: ReaderCredentials;
  /** Client-side deadline of every store call (pg only; PGlite runs in-process and cannot hang on a network). */
  deadlineMs?: number;
}

/** Opens the store, applying migrations first when asked. */
export async function openConfigStore(options: StoreOptions): Promise<ConfigStore> {
  let db: SqlClient;
  if (options.databaseUrl) {
    db = pgClient(options.databaseUrl, { poolSize: options.poolSize, deadlineMs: options.deadlineMs, ca: options.databaseCa, names: options.settingNames });
  } else {
    if (!options.dataDir) throw new Error('openConfigStore: give databaseUrl or dataDir.');
    const dir = join(options.dataDir, 'store');
    await mkdir(dir, { recursive: true });
    // Imported lazily: the module loads a WebAssembly Postgres that data planes never need.
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = new PGlite(dir);
    await pglite.waitReady;
    db = pgliteClient(pglite);
  }
  try {
    if (options.migrate) await migrate(db);
    if (options.reader) await keepReaderRole(db, options.reader, options.settingNames ?? STORE_SETTING_KEYS);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return new SqlConfigStore(db, { retention: options.retention });
}
