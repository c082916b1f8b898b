/**
 * The data planes' read-only database role, kept by the control plane at every start: created when
 * missing, its password set from the secret the control plane is given, and its privileges made
 * exactly SELECT on what data planes read. Not a migration: a role belongs to the whole PostgreSQL
 * cluster (a migration would create it in every database the store is migrated in, tests included),
 * its password is a secret no migration may hold, and the grants must follow every new table, so
 * they are re-applied after the migrations in the same transaction and under the same lock.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { MIGRATION_LOCK_KEY } from './migrations';
import type { SqlClient, SqlSession } from './sql';
import { settingsError, type StoreSettingNames } from './tls';

/** What a data plane reads: versions and heads, and the change log (sync never reads anything else). */
export const DATA_PLANE_TABLES = ['gatehouse_config_versions', 'gatehouse_config_changes'] as const;
/** The store's other tables, which a reader must not even see. */
const CONTROL_PLANE_TABLES = ['gatehouse_config_writes', 'gatehouse_markers', 'gatehouse_schema_migrations'] as const;

/** The reader's name and password (from the reader secret). */
export interface ReaderCredentials {
  readonly user: string;
  readonly password: string;
}

/** PostgreSQL's default iteration count for SCRAM-SHA-256 (scram_iterations). */
const SCRAM_ITERATIONS = 4096;

/**
 * A SCRAM-SHA-256 verifier, as `ALTER ROLE … PASSWORD` accepts it (RFC 5802, PostgreSQL's format):
 * the password itself never reaches the server, so no statement log can hold it.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** `format()` on the server, so identifiers and literals are quoted by PostgreSQL itself. */
async function statement(tx: SqlSession, template: string, ...args: string[]): Promise<string> {
  const placeholders = args.map((_, i) => `, $${i + 1}::text`).join('');
  const [row] = await tx.query<{ sql: string }>(`SELECT format('${template}'${placeholders}) AS sql`, args);
  return row!.sql;
}

/**
 * Creates or updates the reader role. Refuses a reader that is the connecting role itself or a
 * superuser: its password would be changed, or it could write anyway.
 */
export async function keepReaderRole(db: SqlClient, reader: ReaderCredentials, names: Pick<StoreSettingNames, 'readerUser'>): Promise<void> {
  const refuse = (message: string) => settingsError({ path: `/settings/${names.readerUser}`, message, fix: `name a role of the data planes' own in ${names.readerUser} (the kit's reader secret says gatehouse_reader); the control plane creates it.` });
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const [self] = await tx.query<{ me: string; db: string; schema: string }>('SELECT current_user AS me, current_database() AS db, current_schema() AS schema');
    if (self!.me === reader.user) throw refuse(`${names.readerUser} is "${reader.user}", the role the control plane itself connects as.`);
    const [existing] = await tx.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [reader.user]);
    if (existing?.rolsuper) throw refuse(`${names.readerUser} is "${reader.user}", a superuser, which no grant can make read-only.`);
    const verifier = scramVerifier(reader.password);
    await tx.query(await statement(tx, existing ? 'ALTER ROLE %I WITH LOGIN PASSWORD %L' : 'CREATE ROLE %I WITH LOGIN PASSWORD %L', reader.user, verifier));
    await tx.query(await statement(tx, 'GRANT CONNECT ON DATABASE %I TO %I', self!.db, reader.user));
    await tx.query(await statement(tx, 'GRANT USAGE ON SCHEMA %I TO %I', self!.schema, reader.user));
    await tx.query(await statement(tx, `REVOKE ALL ON ${[...DATA_PLANE_TABLES, ...CONTROL_PLANE_TABLES].join(', ')} FROM %I`, reader.user));
    await tx.query(await statement(tx, `GRANT SELECT ON ${DATA_PLANE_TABLES.join(', ')} TO %I`, reader.user));
  });
}
