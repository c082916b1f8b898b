import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { configChecksum } from '../../../gateway/src/core/checksum';
import { documentDigest } from '../../../gateway/src/core/resource-digest';
import { actualChecksum } from '../../../gateway/src/core/version-checksum';
import { GatehouseError } from '../../../gateway/src/core/errors';
import { MIGRATIONS, openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { documentWithRoutes } from '../../helpers/control-plane/documents';
import { waitFor } from '../../helpers/control-plane/wait';

const put = (store: ConfigStore, n: number, extra: object = {}) =>
  store.commit({ author: 'test', message: `${n} routes`, build: () => ({ document: documentWithRoutes(n) }), ...extra });

describe('config store on PostgreSQL', () => {
  let db: TestDatabase;
  const open: ConfigStore[] = [];
  const openStore = async (opts: { retention?: number; migrate?: boolean; url?: string } = {}) => {
    const s = await openConfigStore({ databaseUrl: opts.url ?? db.url, migrate: opts.migrate ?? true, retention: opts.retention });
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    db = await createTestDatabase('store');
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await db.drop();
  });

  it('applies each migration exactly once when many instances start at once', async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => openStore()));
    expect(stores).toHaveLength(6);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const rows = (await c.query('SELECT id, count(*)::int AS n FROM gatehouse_schema_migrations GROUP BY id ORDER BY id')).rows;
    await c.end();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ id: m.id, n: 1 })));
  });

  it('commits numbered versions with checksum, author and message', async () => {
    const store = await openStore();
    expect(await store.head()).toBeUndefined();
    const v1 = await put(store, 2);
    const v2 = await put(store, 3);
    expect([v1.version, v2.version]).toEqual([1, 2]);
    // A version written now records its digest as its checksum (core/version-checksum.ts).
    expect(v2.checksum).toMatch(/^sum256:[0-9a-f]{64}$/);
    expect(v2.checksum).toBe(documentDigest(documentWithRoutes(3)));
    const head = await store.head();
    expect(head).toMatchObject({ version: 2, author: 'test', message: '3 routes', routeCount: 3, intendedDrop: false });
    expect(Date.parse(head!.createdAt)).toBeGreaterThan(0);
    expect((await store.get(1))!.document).toEqual(documentWithRoutes(2));
    expect((await store.list({ limit: 10 })).map((v) => v.version)).toEqual([2, 1]);
  });

  it('keeps a restored backup\'s own checksum in either form, and refuses one its document does not match', async () => {
    const fresh = await createTestDatabase('store_restore');
    const store = await openConfigStore({ databaseUrl: fresh.url, migrate: true });
    try {
      const doc = documentWithRoutes(4);
      const restore = (version: number, checksum: string) => store.commit({ author: 'restore', version, checksum, build: () => ({ document: doc }) });
      await expect(restore(5, configChecksum(documentWithRoutes(3)))).rejects.toMatchObject({ code: 'GW_ERR_STORE_CORRUPT', version: 5 });
      await expect(restore(5, documentDigest(documentWithRoutes(3)))).rejects.toMatchObject({ code: 'GW_ERR_STORE_CORRUPT', version: 5 });
      expect(await store.head()).toBeUndefined();
      const old = await restore(5, configChecksum(doc));
      expect(old.checksum).toBe(configChecksum(doc));
      const read = (await store.get(5))!;
      expect(actualChecksum(read)).toBe(read.checksum);
      const next = await restore(6, documentDigest(doc));
      expect(next.checksum).toBe(documentDigest(doc));
      expect(actualChecksum((await store.get(6))!)).toBe(next.checksum);
    } finally {
      await store.close();
      await fresh.drop();
    }
  });

  it('refuses a stale If-Match with 412 and writes nothing', async () => {
    const store = await openStore();
    const before = (await store.head())!.version;
    const err = await put(store, 1, { expectedVersion: before - 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatehouseError);
    expect((err as GatehouseError).status).toBe(412);
    expect((await store.head())!.version).toBe(before);
    expect((await put(store, 1, { expectedVersion: before })).version).toBe(before + 1);
  });

  it('leaves nothing behind when building the change fails', async () => {
    const store = await openStore();
    const before = (await store.head())!.version;
    const boom = new GatehouseError('GW_ERR_CONFIG_INVALID', undefined, [{ path: '/x', message: 'bad.', fix: 'fix.' }]);
    await expect(store.commit({ author: 't', build: () => { throw boom; } })).rejects.toBe(boom);
    expect((await store.head())!.version).toBe(before);
  });

  it('announces each version on gatehouse_config', async () => {
    const store = await openStore();
    const seen: number[] = [];
    const unwatch = await store.watch((v) => seen.push(v), () => undefined);
    const v = await put(store, 1);
    await waitFor(() => seen.includes(v.version), 'the NOTIFY');
    await unwatch();
  });

  it('keeps only the retained versions and never the current one less', async () => {
    const store = await openStore({ retention: 2 });
    const last = (await put(store, 1)).version;
    await put(store, 2);
    const list = await store.list({ limit: 100 });
    expect(list.map((v) => v.version)).toEqual([last + 1, last]);
    expect(await store.get(1)).toBeUndefined();
  });

  it('serves data planes through a read-only role, which cannot write', async () => {
    const role = `${db.name}_ro`;
    const c = new Client({ connectionString: db.url });
    await c.connect();
    await c.query(`CREATE ROLE ${role} LOGIN`);
    await c.query(`GRANT SELECT ON gatehouse_config_versions TO ${role}`);
    await c.end();
    try {
      const ro = await openStore({ url: db.url.replace('postgres@', `${role}@`), migrate: false });
      const seen: number[] = [];
      const unwatch = await ro.watch((v) => seen.push(v), () => undefined);
      const writer = await openStore();
      const written = await put(writer, 2);
      await waitFor(() => seen.includes(written.version), 'the NOTIFY on the read-only connection');
      await unwatch();
      const head = (await ro.head())!;
      expect(head.version).toBe(written.version);
      expect((await ro.get(head.version))!.version).toBe(head.version);
      const err = (await put(ro, 1).catch((e: unknown) => e)) as GatehouseError;
      expect(err.code).toBe('GW_ERR_STORE_UNAVAILABLE');
      expect(err.status).toBe(503);
      expect((await ro.head())!.version).toBe(head.version);
    } finally {
      const d = new Client({ connectionString: db.url });
      await d.connect();
      await Promise.all(open.splice(-2).map((s) => s.close()));
      await d.query(`REVOKE ALL ON gatehouse_config_versions FROM ${role}`);
      await d.query(`DROP ROLE ${role}`);
      await d.end();
    }
  });
});

describe('config store on PGlite', () => {
  it('runs the same migrations, persists versions in the data directory and announces them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-pglite-'));
    try {
      const store = await openConfigStore({ dataDir: dir, migrate: true });
      const seen: number[] = [];
      const unwatch = await store.watch((v) => seen.push(v), () => undefined);
      const v = await put(store, 4);
      await waitFor(() => seen.includes(v.version), 'the PGlite NOTIFY');
      await unwatch();
      await store.setMarker('k', 'v1');
      await store.close();

      const again = await openConfigStore({ dataDir: dir, migrate: true });
      expect(await again.head()).toMatchObject({ version: 1, routeCount: 4 });
      expect(await again.getMarker('k')).toBe('v1');
      expect((await again.get(1))!.document).toEqual(documentWithRoutes(4));
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
