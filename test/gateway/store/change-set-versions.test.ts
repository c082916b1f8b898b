/**
 * Versions stored as change sets: a writer that holds the head in memory writes only what changed;
 * every version reads back whole (nearest snapshot plus replayed change sets) with its checksum;
 * snapshots come periodically; retention keeps what retained versions are assembled from; damage to
 * a change row or the chain is caught; and a database of whole-document versions upgrades in place.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { documentDigest, type GatewayConfig } from '../../../gateway/src/config';
import { canonicalJson, configChecksum } from '../../../gateway/src/core/checksum';
import { actualChecksum, verifyChecksum } from '../../../gateway/src/core/version-checksum';
import { migrate, MIGRATIONS, openConfigStore, pgClient, SqlConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { SNAPSHOT_EVERY_CHANGES, SNAPSHOT_EVERY_VERSIONS } from '../../../gateway/src/store/snapshots';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { documentWithRoutes } from '../../helpers/control-plane/documents';

/** Commits like the admin API does: with the head it holds in memory. */
function writer(store: ConfigStore, start?: { version: number; document: GatewayConfig }) {
  let held = start;
  return async (edit: (doc: GatewayConfig) => GatewayConfig) => {
    const v = await store.commit({ author: 'test', cached: held, build: (current) => ({ document: edit(current) }) });
    held = { version: v.version, document: v.document };
    return v;
  };
}

const withRoute = (id: string, path = `/${id}`) => (doc: GatewayConfig) => ({ ...doc, routes: [...doc.routes, { id, paths: [path], upstream: 'backend' }] }) as GatewayConfig;
const withoutRoute = (id: string) => (doc: GatewayConfig) => ({ ...doc, routes: doc.routes.filter((r) => r.id !== id) });

async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Every version reads back as what was committed, with a checksum that matches its content. */
async function expectReadsBack(store: ConfigStore, committed: Map<number, GatewayConfig>): Promise<void> {
  for (const [n, document] of committed) {
    const v = (await store.get(n))!;
    expect(v.document).toEqual(document);
    expect(v.checksum).toBe(documentDigest(document));
    expect(actualChecksum(v)).toBe(v.checksum);
    expect(verifyChecksum(v.document, v.checksum)).toBe(true);
  }
}

describe('versions stored as change sets, on PostgreSQL', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('csversions');
  });
  afterEach(() => db.drop());

  it('stores a single-route write as its change set only, and reads every version back whole with its checksum', async () => {
    const store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    try {
      const write = writer(store);
      const committed = new Map<number, GatewayConfig>();
      const first = await write(() => documentWithRoutes(50));
      committed.set(first.version, first.document);
      for (const edit of [withRoute('a'), withRoute('b'), withoutRoute('r7'), (d: GatewayConfig) => ({ ...d, routes: [d.routes[3]!, ...d.routes.slice(0, 3), ...d.routes.slice(4)] })]) {
        const v = await write(edit);
        committed.set(v.version, v.document);
      }
      const rows = await sql<{ version: number; whole: boolean; changes: number }>(
        db.url,
        `SELECT v.version, v.document IS NOT NULL AS whole, (SELECT count(*)::int FROM gatehouse_config_changes c WHERE c.version = v.version) AS changes
         FROM gatehouse_config_versions v ORDER BY v.version`,
      );
      expect(rows).toEqual([
        { version: 1, whole: true, changes: 51 },
        { version: 2, whole: false, changes: 1 },
        { version: 3, whole: false, changes: 1 },
        { version: 4, whole: false, changes: 1 },
        // A move: the resources it passes are recorded as changed, with their new positions.
        { version: 5, whole: false, changes: 3 },
      ]);
      await expectReadsBack(store, committed);
      // The head verification a control plane runs on a head it did not write works on an assembled one.
      const other = await openConfigStore({ databaseUrl: db.url, migrate: false });
      try {
        await expectReadsBack(other, committed);
        expect((await other.changesSince(1)).ok).toBe(true);
      } finally {
        await other.close();
      }
    } finally {
      await store.close();
    }
  });

  it('writes a snapshot off the request path every SNAPSHOT_EVERY_VERSIONS versions, and stores a large change set whole', async () => {
    const store = (await openConfigStore({ databaseUrl: db.url, migrate: true })) as SqlConfigStore;
    try {
      const write = writer(store);
      const committed = new Map<number, GatewayConfig>();
      await write(() => documentWithRoutes(3));
      for (let i = 0; i < SNAPSHOT_EVERY_VERSIONS + 2; i++) {
        const v = await write(withRoute(`w${i}`));
        committed.set(v.version, v.document);
      }
      await store.snapshotsWritten();
      const whole = await sql<{ version: number }>(db.url, 'SELECT version FROM gatehouse_config_versions WHERE document IS NOT NULL ORDER BY version');
      expect(whole.map((r) => r.version)).toEqual([1, 1 + SNAPSHOT_EVERY_VERSIONS]);
      await expectReadsBack(store, committed);
      const big = await write(() => documentWithRoutes(SNAPSHOT_EVERY_CHANGES + 10, 9, '127.0.0.1', 'big'));
      const [row] = await sql<{ whole: boolean }>(db.url, 'SELECT document IS NOT NULL AS whole FROM gatehouse_config_versions WHERE version = $1', [big.version]);
      expect(row!.whole).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('keeps retention: old versions leave the history, the snapshot retained versions are assembled from stays, rollback content reads back', async () => {
    const store = await openConfigStore({ databaseUrl: db.url, migrate: true, retention: 3 });
    try {
      const write = writer(store);
      await write(() => documentWithRoutes(3));
      const committed = new Map<number, GatewayConfig>();
      for (let i = 0; i < 8; i++) {
        const v = await write(withRoute(`w${i}`));
        committed.set(v.version, v.document);
      }
      const head = (await store.head())!.version;
      expect((await store.list({ limit: 10 })).map((h) => h.version)).toEqual([head, head - 1, head - 2]);
      expect(await store.get(head - 3)).toBeUndefined();
      expect(await store.get(1)).toBeUndefined();
      for (const n of [...committed.keys()]) if (n <= head - 3) committed.delete(n);
      await expectReadsBack(store, committed);
      expect(await store.changesSince(head - 4)).toEqual({ ok: false, reason: `version ${head - 4} is too far behind: the change log starts after it` });
      expect((await store.changesSince(head - 3)).ok).toBe(true);
      // A rollback is a change set too, and reads back as the old content.
      const target = (await store.get(head - 2))!;
      const rollback = await write(() => target.document);
      const [row] = await sql<{ whole: boolean; changes_from: number }>(db.url, 'SELECT document IS NOT NULL AS whole, changes_from FROM gatehouse_config_versions WHERE version = $1', [rollback.version]);
      expect(row).toEqual({ whole: false, changes_from: head });
      expect((await store.get(rollback.version))!.document).toEqual(target.document);
      expect((await store.get(rollback.version))!.checksum).toBe(target.checksum);
    } finally {
      await store.close();
    }
  });

  it('reads a version whose change row was altered as not matching its checksum, and one whose chain is broken as corrupt', async () => {
    const store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    try {
      const write = writer(store);
      await write(() => documentWithRoutes(3));
      const v2 = await write(withRoute('a'));
      const v3 = await write(withRoute('b'));
      await sql(db.url, `UPDATE gatehouse_config_changes SET body = replace(body, '"/a"', '"/evil"') WHERE version = $1`, [v2.version]);
      const damaged = (await store.get(v3.version))!;
      expect(actualChecksum(damaged)).not.toBe(damaged.checksum);
      await sql(db.url, 'UPDATE gatehouse_config_versions SET changes_from = NULL WHERE version = $1', [v2.version]);
      await expect(store.get(v3.version)).rejects.toMatchObject({ code: 'GW_ERR_STORE_CORRUPT', version: v3.version });
      // The repair (a rollback, over the corrupt head) is stored whole: nothing is built on the damage.
      const repair = await store.commit({ author: 'test', overCorruptHead: true, build: () => ({ document: documentWithRoutes(3) }) });
      expect((await store.get(repair.version))!.document).toEqual(documentWithRoutes(3));
    } finally {
      await store.close();
    }
  });

  it('upgrades a database of whole-document versions written by the previous schema, and continues it with change sets', async () => {
    const db6 = pgClient(db.url);
    const docs = [documentWithRoutes(2), documentWithRoutes(3)];
    try {
      await migrate(db6, MIGRATIONS.filter((m) => m.id <= 6));
      // What the previous store wrote: every version whole, the second with its change set.
      for (const [i, doc] of docs.entries()) {
        await db6.query(
          `INSERT INTO gatehouse_config_versions (version, document, checksum, author, route_count, digest, changes_from) VALUES ($1, $2, $3, 'old', $4, $5, $6)`,
          [i + 1, canonicalJson(doc), configChecksum(doc), doc.routes.length, documentDigest(doc), i === 0 ? null : 1],
        );
      }
      await db6.query(`INSERT INTO gatehouse_config_changes (version, seq, kind, id, position, body, hash) VALUES (2, 0, 'route', 'r2', 2, $1, 'sha256:x')`, [canonicalJson(docs[1]!.routes[2])]);
      expect(await migrate(db6)).toEqual([7]);
    } finally {
      await db6.close();
    }
    const store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    try {
      expect((await store.get(1))!.document).toEqual(docs[0]);
      expect((await store.get(2))!.document).toEqual(docs[1]);
      // A control plane loads the head at start (verifying it) and then writes on it from memory.
      const head = (await store.get(2))!;
      // Versions stored before keep their sha256 checksum and still verify; new ones record the digest.
      expect(head.checksum).toBe(configChecksum(docs[1]));
      expect(actualChecksum(head)).toBe(head.checksum);
      const write = writer(store, { version: 2, document: head.document });
      const v3 = await write(withRoute('new'));
      const [row] = await sql<{ whole: boolean }>(db.url, 'SELECT document IS NOT NULL AS whole FROM gatehouse_config_versions WHERE version = $1', [v3.version]);
      expect(row!.whole).toBe(false);
      expect((await store.get(v3.version))!.document).toEqual(withRoute('new')(docs[1]!));
      expect(v3.checksum).toBe(documentDigest(withRoute('new')(docs[1]!)));
      expect(actualChecksum((await store.get(v3.version))!)).toBe(v3.checksum);
      expect(actualChecksum((await store.get(1))!)).toBe(configChecksum(docs[0]));
    } finally {
      await store.close();
    }
  });
});

describe('versions stored as change sets, on PGlite', () => {
  it('assembles versions the same way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-pglite-csversions-'));
    const store = await openConfigStore({ dataDir: dir, migrate: true });
    try {
      const write = writer(store);
      const committed = new Map<number, GatewayConfig>();
      for (const edit of [() => documentWithRoutes(5), withRoute('a'), withoutRoute('r1')]) {
        const v = await write(edit);
        committed.set(v.version, v.document);
      }
      await expectReadsBack(store, committed);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
