/**
 * Versioned schema migrations, applied at start-up inside one transaction under an advisory lock so
 * that any number of instances starting at once apply each migration exactly once. Append only:
 * never edit a migration that has shipped; add the next number.
 */
import type { SqlClient } from './sql';

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'config_versions',
    sql: `
      CREATE TABLE gatehouse_config_versions (
        version        integer PRIMARY KEY CHECK (version > 0),
        -- Canonical JSON exactly as checksummed: data planes verify it with one sha256 pass, no re-serialising.
        document       text NOT NULL,
        checksum       text NOT NULL,
        author         text NOT NULL,
        message        text NOT NULL DEFAULT '',
        intended_drop  boolean NOT NULL DEFAULT false,
        route_count    integer NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now()
      );`,
  },
  {
    id: 2,
    name: 'markers',
    sql: `
      CREATE TABLE gatehouse_markers (
        key         text PRIMARY KEY,
        value       text NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      );`,
  },
  {
    id: 3,
    name: 'config_writes',
    sql: `
      -- One row per committed admin write, in the same transaction as its version: the answer to
      -- "did my write commit?" and to a retried Idempotency-Key survives any control-plane restart.
      CREATE TABLE gatehouse_config_writes (
        id               text PRIMARY KEY,
        idempotency_key  text UNIQUE,
        version          integer NOT NULL,
        author           text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now()
      );`,
  },
  {
    id: 4,
    name: 'restored_at',
    sql: `ALTER TABLE gatehouse_config_versions ADD COLUMN restored_at timestamptz;`,
  },
  {
    id: 5,
    name: 'config_changes',
    sql: `
      -- The change set of each version, one row per resource put or removed, written in the same
      -- transaction as the version: data planes apply these instead of fetching the whole document.
      -- body is the resource's canonical JSON (NULL: removed); hash is its sha256 over kind, id and body.
      CREATE TABLE gatehouse_config_changes (
        version   integer NOT NULL,
        seq       integer NOT NULL,
        kind      text NOT NULL,
        id        text NOT NULL,
        position  integer,
        body      text,
        hash      text,
        PRIMARY KEY (version, seq)
      );`,
  },
  {
    id: 6,
    name: 'version_digest',
    sql: `
      -- The digest (sum of resource hashes, see core/resource-digest.ts) a change set must lead to;
      -- NULL for versions written before change sets: a data plane fetches those whole.
      -- changes_from: the version the change set applies to (the head it was written on; a restore
      -- may skip numbers). NULL when the version has no change set.
      ALTER TABLE gatehouse_config_versions ADD COLUMN digest text, ADD COLUMN changes_from integer;`,
  },
  {
    id: 7,
    name: 'change_set_versions',
    sql: `
      -- A version keeps its whole document only when it is a snapshot (store/snapshots.ts); any other
      -- version is its change set, read as the nearest snapshot below it plus the change sets after
      -- it (store/assemble.ts). Every version written before this migration is a snapshot.
      -- pruned: left the history by retention, kept only because a retained version is assembled from it.
      ALTER TABLE gatehouse_config_versions ALTER COLUMN document DROP NOT NULL, ADD COLUMN pruned boolean NOT NULL DEFAULT false;`,
  },
];

/** Advisory lock key shared by every Gatehouse migrator ("gatehous" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x6761746568_6f7573n.toString();

/** Applies the pending migrations; returns the ids it applied (empty when the schema was current). */
export async function migrate(db: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    // The lock comes first: even CREATE TABLE IF NOT EXISTS races between concurrent transactions.
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS gatehouse_schema_migrations (
         id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await tx.query<{ id: number }>('SELECT id FROM gatehouse_schema_migrations')).map((r) => r.id));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      await tx.query(m.sql);
      await tx.query('INSERT INTO gatehouse_schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      applied.push(m.id);
    }
    return applied;
  });
}
