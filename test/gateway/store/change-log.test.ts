/** The change log next to each version: rows, digest, retention and limits, on PostgreSQL and PGlite. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { documentDigest, type GatewayConfig } from '../../../gateway/src/config';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { documentWithRoutes } from '../../helpers/control-plane/documents';

const commit = (store: ConfigStore, document: GatewayConfig) => store.commit({ author: 'test', build: () => ({ document }) });

async function exercise(store: ConfigStore): Promise<void> {
  const v1 = await commit(store, documentWithRoutes(3));
  const doc2 = documentWithRoutes(3);
  doc2.routes[1] = { ...doc2.routes[1]!, paths: ['/changed'] };
  doc2.routes.splice(0, 1);
  const v2 = await commit(store, doc2);
  const since = await store.changesSince(v1.version);
  if (!since.ok) throw new Error(since.reason);
  expect(since.versions.map((v) => v.head.version)).toEqual([v2.version]);
  expect(since.versions[0]!.changes.map((c) => ({ kind: c.kind, id: c.id, position: c.position, removed: c.text === undefined }))).toEqual([
    { kind: 'route', id: 'r1', position: 0, removed: false },
    { kind: 'route', id: 'r0', position: undefined, removed: true },
  ]);
  expect(since.versions[0]!.digest).toBe(documentDigest(doc2));
  expect(await store.changesSince(v2.version)).toEqual({ ok: true, versions: [] });
  expect(await store.changesSince(v1.version, { maxChanges: 1 })).toEqual({ ok: false, reason: `2 changes since version ${v1.version} (more than 1)` });
}

describe('change log on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('changelog');
  });
  afterAll(() => db.drop());

  it('records what each version put and removed, with positions and the digest it leads to', async () => {
    const store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    try {
      await exercise(store);
    } finally {
      await store.close();
    }
  });

  it('prunes change rows with their versions, and then answers that the reader is too far behind', async () => {
    const store = await openConfigStore({ databaseUrl: db.url, migrate: true, retention: 2 });
    try {
      const first = (await store.head())!.version;
      for (let n = 4; n < 8; n++) await commit(store, documentWithRoutes(n));
      const c = new Client({ connectionString: db.url });
      await c.connect();
      const { rows } = await c.query('SELECT DISTINCT version FROM gatehouse_config_changes ORDER BY version');
      await c.end();
      const head = (await store.head())!.version;
      expect(rows.map((r) => r.version)).toEqual([head - 1, head]);
      expect(await store.changesSince(first)).toEqual({ ok: false, reason: `version ${first} is too far behind: the change log starts after it` });
      expect((await store.changesSince(head - 1)).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('writes no change set over a head that fails its checksum, so readers fetch the repair whole', async () => {
    const store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    try {
      const bad = await commit(store, documentWithRoutes(3));
      const c = new Client({ connectionString: db.url });
      await c.connect();
      await c.query(`UPDATE gatehouse_config_versions SET document = replace(document, '"/r0"', '"/evil"') WHERE version = $1`, [bad.version]);
      await c.end();
      const repair = await store.commit({ author: 'test', overCorruptHead: true, build: () => ({ document: documentWithRoutes(3) }) });
      expect(await store.changesSince(bad.version)).toEqual({ ok: false, reason: `version ${repair.version} has no change set` });
    } finally {
      await store.close();
    }
  });
});

describe('change log on PGlite', () => {
  it('runs the same migrations and answers the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-pglite-changes-'));
    const store = await openConfigStore({ dataDir: dir, migrate: true });
    try {
      await exercise(store);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
