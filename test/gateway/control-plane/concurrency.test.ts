import type { FastifyInstance } from 'fastify';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { adminServer, asAdmin } from './admin-helpers';

describe('admin API optimistic concurrency', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let apps: FastifyInstance[];

  beforeAll(async () => {
    db = await createTestDatabase('admin_concurrency');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    // Two control-plane instances over the same database.
    apps = [adminServer(store), adminServer(store)];
    await Promise.all(apps.map((a) => a.ready()));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await store.close();
    await db.drop();
  });

  it('starts at ETag "0" on an empty store and accepts If-Match "0" for the first write', async () => {
    const read = await apps[0]!.inject({ url: '/admin/v1/config', headers: asAdmin });
    expect(read.headers.etag).toBe('"0"');
    expect(read.json()).toEqual({ routes: [], upstreams: [], consumers: [], plugins: {} });
    const res = await apps[0]!.inject({ method: 'PUT', url: '/admin/v1/upstreams/u', headers: { ...asAdmin, 'if-match': '"0"' }, payload: { targets: [{ host: 'a', port: 1 }] } });
    expect(res.statusCode).toBe(201);
    expect(res.headers.etag).toBe('"1"');
  });

  it('lets exactly one of two writers holding the same ETag win; the other gets 412', async () => {
    const [a, b] = await Promise.all(
      apps.map((app, i) =>
        app.inject({ method: 'PUT', url: `/admin/v1/routes/r${i}`, headers: { ...asAdmin, 'if-match': '"1"' }, payload: { paths: [`/r${i}`], upstream: 'u' } }),
      ),
    );
    expect([a!.statusCode, b!.statusCode].sort()).toEqual([201, 412]);
    expect((await store.head())!.version).toBe(2);
    expect((await store.get(2))!.document.routes).toHaveLength(1);
  });

  it('serialises concurrent writes without If-Match into consecutive versions, losing none', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        apps[i % 2]!.inject({ method: 'PUT', url: `/admin/v1/routes/c${i}`, headers: asAdmin, payload: { paths: [`/c${i}`], upstream: 'u' } }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    expect(results.map((r) => r.json().version).sort((x: number, y: number) => x - y)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await store.get(10))!.document.routes.map((r) => r.id).filter((id) => id.startsWith('c')).sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']);
  });
});
