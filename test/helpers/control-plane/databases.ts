/** A uniquely named database on the shared PostgreSQL (127.0.0.1:5432), dropped after the test file. */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const SHARED_PG = 'postgres://postgres@127.0.0.1:5432';

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: `${SHARED_PG}/postgres`, connectionTimeoutMillis: 5_000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at 127.0.0.1:5432 (${(err as Error).message}); start it (user postgres, trust auth) before running these tests.`);
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh database for one test file. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `gh_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: `${SHARED_PG}/${name}`,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Terminates every connection to `db` opened with application name `app` (pg_terminate_backend). */
export async function terminateConnections(db: string, app?: string): Promise<number> {
  return admin(async (c) => {
    const r = await c.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ${app ? 'AND application_name = $2' : ''}`,
      app ? [db, app] : [db],
    );
    return r.rowCount ?? 0;
  });
}
