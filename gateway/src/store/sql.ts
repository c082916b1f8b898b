/**
 * The few SQL operations the store needs, over either `pg` (a real PostgreSQL) or PGlite (the
 * embedded one), so that both run the same migrations and the same queries.
 */
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { explainConnectError, STORE_SETTING_KEYS, storeConnection, type StoreConnection, type StoreSettingNames } from './tls';

export interface SqlSession {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface SqlClient extends SqlSession {
  /** Runs `fn` in one transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  /** LISTENs on `channel`; `onError` fires once if the listening connection is lost. */
  listen(channel: string, onPayload: (payload: string) => void, onError: (err: Error) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** How long a store connection attempt may take before the operation fails (and a write answers 503). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/** Longest statement, enforced by the server (which cannot enforce it while it is hung: see the deadline). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
/** Longest store call as seen by the client, connection and every statement included; a 22 MiB commit takes about 4 s. */
export const DEFAULT_STORE_DEADLINE_MS = 15_000;
const DEFAULT_POOL_SIZE = 4;

/**
 * A store call passed its client-side deadline. `commitSent` tells whether COMMIT had been sent: when
 * it had not, the transaction certainly did not commit (its connection is destroyed, so the server rolls
 * it back whenever it gets to it); when it had, the outcome is unknown until the write lock is free.
 */
export class StoreDeadlineError extends Error {
  constructor(
    readonly deadlineMs: number,
    readonly commitSent: boolean,
  ) {
    super(`the config store gave no answer within ${deadlineMs} ms`);
    this.name = 'StoreDeadlineError';
  }
}

/** Runs `fn` on a pooled connection under one deadline; past it the connection is destroyed, never reused. */
async function withConnection<T>(pool: Pool, deadlineMs: number, explain: (err: unknown) => unknown, fn: (conn: PoolClient, phase: { commitSent: boolean; broken: boolean }) => Promise<T>): Promise<T> {
  const phase = { commitSent: false, broken: false };
  let timedOut = false;
  let conn: PoolClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      conn?.release(true);
      reject(new StoreDeadlineError(deadlineMs, phase.commitSent));
    }, deadlineMs);
  });
  const work = (async () => {
    const c = await pool.connect().catch((err: unknown) => {
      throw explain(err);
    });
    if (timedOut) {
      c.release(true);
      throw new StoreDeadlineError(deadlineMs, false);
    }
    conn = c;
    try {
      return await fn(c, phase);
    } finally {
      if (!timedOut) c.release(phase.broken);
    }
  })();
  work.catch(() => undefined); // after the deadline its rejection is nobody's business
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** How a `pg` client connects and how long it waits. */
export interface PgClientOptions {
  poolSize?: number;
  connectTimeoutMs?: number;
  deadlineMs?: number;
  /** The CA to verify the server against (`verify-full`): `rds`, `system` or a PEM file; unset, the URL decides. */
  ca?: string;
  /** The setting names of the URL and the CA, for error messages. */
  names?: StoreSettingNames;
}

/** A `pg` pool plus one dedicated connection per LISTEN. */
export function pgClient(url: string, options: PgClientOptions = {}): SqlClient {
  const deadlineMs = options.deadlineMs ?? DEFAULT_STORE_DEADLINE_MS;
  const names = options.names ?? STORE_SETTING_KEYS;
  const connection: StoreConnection = storeConnection(url, options.ca, names);
  const explain = (err: unknown) => explainConnectError(err, connection, names);
  const config: PoolConfig = {
    ...connection,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: DEFAULT_STATEMENT_TIMEOUT_MS,
    application_name: 'gatehouse',
  };
  const pool = new Pool(config);
  // An idle connection killed by the server (failover, pg_terminate_backend) emits here; the pool
  // replaces it on the next query, so the error is only worth ignoring, not crashing on.
  pool.on('error', () => undefined);
  const listeners = new Set<Client>();
  return {
    async query<T>(text: string, params?: unknown[]) {
      return withConnection(pool, deadlineMs, explain, async (conn) => (await conn.query(text, params)).rows as T[]);
    },
    async transaction<T>(fn: (tx: SqlSession) => Promise<T>) {
      return withConnection(pool, deadlineMs, explain, async (conn, phase) => {
        await conn.query('BEGIN');
        let result: T;
        try {
          result = await fn({ query: async <R>(t: string, p?: unknown[]) => (await conn.query(t, p)).rows as R[] });
        } catch (err) {
          await conn.query('ROLLBACK').catch(() => {
            phase.broken = true;
          });
          throw err;
        }
        phase.commitSent = true;
        await conn.query('COMMIT').catch((err: unknown) => {
          phase.broken = true;
          throw err;
        });
        return result;
      });
    },
    async listen(channel, onPayload, onError) {
      const conn = new Client({ ...connection, connectionTimeoutMillis: config.connectionTimeoutMillis, application_name: 'gatehouse-listen' });
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        listeners.delete(conn);
        conn.end().catch(() => undefined);
        onError(err);
      };
      conn.on('error', fail);
      conn.on('end', () => fail(new Error('the listening connection to PostgreSQL closed')));
      conn.on('notification', (n) => {
        if (n.channel === channel && n.payload !== undefined) onPayload(n.payload);
      });
      try {
        await conn.connect();
        await conn.query(`LISTEN ${channel}`);
      } catch (err) {
        failed = true;
        conn.end().catch(() => undefined);
        throw explain(err);
      }
      listeners.add(conn);
      return async () => {
        failed = true;
        listeners.delete(conn);
        await conn.end().catch(() => undefined);
      };
    },
    async close() {
      await Promise.all([...listeners].map((c) => c.end().catch(() => undefined)));
      await pool.end();
    },
  };
}

/** The embedded PGlite database; one in-process connection, so transactions are serialised by PGlite itself. */
export function pgliteClient(db: PGlite): SqlClient {
  const wrap = (s: PGlite | Transaction): SqlSession => ({
    async query<T>(text: string, params?: unknown[]) {
      return (await s.query<T>(text, params)).rows;
    },
  });
  return {
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async listen(channel, onPayload) {
      const unlisten = await db.listen(channel, onPayload);
      return async () => {
        if (!db.closed) await unlisten();
      };
    },
    async close() {
      if (!db.closed) await db.close();
    },
  };
}
