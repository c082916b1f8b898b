/**
 * A head row edited in the database (document changed, old checksum kept): a control plane that loads
 * it never builds on it. Reads and writes answer GW_ERR_STORE_CORRUPT naming the version and the newest
 * intact one, readiness fails with a metric, and a rollback to the intact version is the repair. The
 * same for both checksum forms: the digest versions record now (`sum256:`) and the sha256 of the
 * canonical text that versions stored before recorded.
 */
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { ConfigService, StoreHealth } from '../../../gateway/src/control-plane';
import { configChecksum } from '../../../gateway/src/core/checksum';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { adminServer, asAdmin } from './admin-helpers';

describe.each(['sum256', 'sha256'] as const)('a tampered head version (%s checksum)', (form) => {
  let db: TestDatabase;
  let store: ConfigStore;

  beforeAll(async () => {
    db = await createTestDatabase(`tampered_head_${form}`);
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    const writer = adminServer(store);
    const first = { upstreams: [{ id: 'u', targets: [{ host: 'a', port: 1 }] }], routes: ['k1', 'k2'].map((id) => ({ id, paths: [`/${id}`], upstream: 'u' })) };
    expect((await writer.inject({ method: 'PUT', url: '/admin/v1/config', headers: asAdmin, payload: first })).statusCode).toBe(200);
    expect((await writer.inject({ method: 'PUT', url: '/admin/v1/routes/a', headers: asAdmin, payload: { paths: ['/a'], upstream: 'u' } })).statusCode).toBe(201);
    await writer.close();
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    const written = await sql.query<{ checksum: string }>('SELECT checksum FROM gatehouse_config_versions ORDER BY version');
    expect(written.rows.map((r) => r.checksum.slice(0, 7))).toEqual(['sum256:', 'sum256:']);
    if (form === 'sha256')
      // What the previous code path recorded: the sha256 of the canonical text.
      for (const n of [1, 2]) await sql.query('UPDATE gatehouse_config_versions SET checksum = $2 WHERE version = $1', [n, configChecksum((await store.get(n))!.document)]);
    // Version 2 is stored as its change set (the admin API wrote it over the head it held): the edit goes there.
    const res = await sql.query(`UPDATE gatehouse_config_changes SET body = replace(body, '"/a"', '"/evil"') WHERE version = 2`);
    await sql.end();
    expect(res.rowCount).toBe(1);
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  const corrupt = { code: 'GW_ERR_STORE_CORRUPT', corruptVersion: 2, intactVersion: 1 };

  it('refuses to serve GET /config from it, naming the version and the rollback that repairs it', async () => {
    const app = adminServer(store);
    const res = await app.inject({ url: '/admin/v1/config', headers: asAdmin });
    await app.close();
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject(corrupt);
    expect(res.json().error.message).toContain('POST /admin/v1/versions/1/rollback');
  });

  it('never builds a new version on it: writes are refused and the head stays the tampered version', async () => {
    const app = adminServer(store);
    const res = await app.inject({ method: 'PUT', url: '/admin/v1/routes/b', headers: asAdmin, payload: { paths: ['/b'], upstream: 'u' } });
    await app.close();
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject(corrupt);
    expect((await store.head())!.version).toBe(2);
  });

  it('is unready and raises gatehouse_config_store_corrupt_version', async () => {
    const registry = new Registry();
    const service = new ConfigService(store, { dropGuardPercent: 50 });
    const health = new StoreHealth({ check: () => service.current(), intervalMs: 60_000, registry });
    await health.checkOnce();
    expect(health.readiness).toEqual({ ready: false, reason: 'config version 2 does not match its checksum' });
    expect(await registry.metrics()).toMatch(/^gatehouse_config_store_corrupt_version 2$/m);
  });

  it('marks the tampered version as not intact when it is read by number', async () => {
    const app = adminServer(store);
    const [bad, good] = await Promise.all([2, 1].map((n) => app.inject({ url: `/admin/v1/versions/${n}`, headers: asAdmin })));
    await app.close();
    expect([bad!.json().intact, good!.json().intact]).toEqual([false, true]);
  });

  it('never serves the tampered document for re-writing: GET /config refuses it, so "read and write back" cannot spread it', async () => {
    const app = adminServer(store);
    const res = await app.inject({ url: '/admin/v1/config', headers: { ...asAdmin, accept: 'application/yaml' } });
    await app.close();
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain('/evil');
  });

  it('refuses a rollback to the tampered version itself', async () => {
    const app = adminServer(store);
    const res = await app.inject({ method: 'POST', url: '/admin/v1/versions/2/rollback', headers: asAdmin });
    await app.close();
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject(corrupt);
  });

  it('is repaired by a rollback to the newest intact version; then reads, writes and readiness work again', async () => {
    const app = adminServer(store);
    const rollback = await app.inject({ method: 'POST', url: '/admin/v1/versions/1/rollback', headers: asAdmin });
    expect(rollback.statusCode).toBe(201);
    expect(rollback.json()).toMatchObject({ version: 3, rolledBackTo: 1 });
    const read = await app.inject({ url: '/admin/v1/config', headers: asAdmin });
    expect(read.statusCode).toBe(200);
    expect(read.json().routes.map((r: { id: string }) => r.id)).toEqual(['k1', 'k2']);
    const write = await app.inject({ method: 'PUT', url: '/admin/v1/routes/b', headers: asAdmin, payload: { paths: ['/b'], upstream: 'u' } });
    await app.close();
    expect(write.statusCode).toBe(201);
    expect(JSON.stringify(write.json())).not.toContain('/evil');
    const registry = new Registry();
    const health = new StoreHealth({ check: () => new ConfigService(store, { dropGuardPercent: 50 }).current(), intervalMs: 60_000, registry });
    await health.checkOnce();
    expect(health.readiness).toEqual({ ready: true });
    expect(await registry.metrics()).toMatch(/^gatehouse_config_store_corrupt_version 0$/m);
  });
});
