/**
 * Admin writes work on what they change only (the change set, the sealed secrets, the diff, the
 * answer's secret view): each must answer and store exactly what the whole-document computation does.
 */
import { diffDocuments, type GatewayConfig } from '../../../gateway/src/config';
import { newKeyEntry, parseKeyring } from '../../../gateway/src/config/secrets';
import { diffConfigs } from '../../../gateway/src/control-plane';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { adminServer, asAdmin } from './admin-helpers';

describe('admin writes computed from their change only', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  beforeAll(async () => {
    db = await createTestDatabase('change_only');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it('stores the change set and answers the diff a whole-document diff gives, for every kind of single-resource write', async () => {
    const app = adminServer(store);
    const base = {
      upstreams: [{ id: 'u', targets: [{ host: 'a', port: 1 }] }],
      routes: ['a', 'b', 'c'].map((id) => ({ id, paths: [`/${id}`], upstream: 'u' })),
      consumers: [{ id: 'x', labels: { tier: 'free' } }],
    };
    expect((await app.inject({ method: 'PUT', url: '/admin/v1/config', headers: asAdmin, payload: base })).statusCode).toBe(200);
    const writes: [string, string, unknown][] = [
      ['PUT', '/admin/v1/routes/b', { paths: ['/b2'], upstream: 'u' }], // in place
      ['PUT', '/admin/v1/routes/d', { paths: ['/d'], upstream: 'u' }], // appended
      ['POST', '/admin/v1/upstreams', { id: 'v', targets: [{ host: 'b', port: 2 }] }],
      ['DELETE', '/admin/v1/routes/a', undefined],
      ['PUT', '/admin/v1/consumers/x', { labels: { tier: 'gold' } }],
      ['PUT', '/admin/v1/plugins/cors', { allowOrigins: ['https://a.example'] }],
      ['DELETE', '/admin/v1/plugins/cors', undefined],
    ];
    for (const [method, url, payload] of writes) {
      const before = (await store.get((await store.head())!.version))!;
      const res = await app.inject({ method: method as 'PUT', url, headers: asAdmin, ...(payload === undefined ? {} : { payload: payload as object }) });
      expect([200, 201]).toContain(res.statusCode);
      const after = (await store.get(res.json().version))!;
      const since = await store.changesSince(before.version);
      if (!since.ok) throw new Error(since.reason);
      const whole = diffDocuments(before.document, after.document)!;
      expect(since.versions[0]!.changes.map((c) => ({ kind: c.kind, id: c.id, position: c.position, put: c.text !== undefined }))).toEqual(
        whole.map((c) => ({ kind: c.kind, id: c.id, position: c.position, put: c.body !== undefined })),
      );
      expect(res.json().diff).toEqual(diffConfigs(before.document as GatewayConfig, after.document as GatewayConfig));
    }
    await app.close();
  });

  it('makes no version for a put equal to what is stored', async () => {
    const app = adminServer(store);
    const head = (await store.head())!.version;
    const res = await app.inject({ method: 'PUT', url: '/admin/v1/routes/c', headers: asAdmin, payload: { paths: ['/c'], upstream: 'u' } });
    await app.close();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ unchanged: true, version: head });
    expect((await store.head())!.version).toBe(head);
  });

  it('shows the config after a write as a whole presentation does, secrets as "(secret)"', async () => {
    const keyring = parseKeyring(newKeyEntry('k1'), 'GATEHOUSE_SECRETS_KEYS')!;
    const app = adminServer(store, 1024 * 1024, { secretsKeyring: keyring });
    const put = (id: string, payload: object) => app.inject({ method: 'PUT', url: `/admin/v1/consumers/${id}`, headers: asAdmin, payload });
    expect((await put('s1', { plugins: { 'jwt-auth': { subject: 's1', secret: 'first-secret-0123456789abcdef0123' } } })).statusCode).toBe(201);
    expect((await app.inject({ url: '/admin/v1/config', headers: asAdmin })).statusCode).toBe(200); // the view the next one is made from
    expect((await put('s2', { plugins: { 'jwt-auth': { subject: 's2', secret: 'second-secret-0123456789abcdef012' } } })).statusCode).toBe(201);
    expect((await put('x', { labels: { tier: 'platinum' } })).statusCode).toBe(200);
    const shown = await app.inject({ url: '/admin/v1/config', headers: asAdmin });
    await app.close();
    const fresh = adminServer(store, 1024 * 1024, { secretsKeyring: keyring });
    const whole = await fresh.inject({ url: '/admin/v1/config', headers: asAdmin });
    await fresh.close();
    expect(shown.json()).toEqual(whole.json());
    expect(shown.json().consumers.map((c: { id: string }) => c.id)).toEqual(['x', 's1', 's2']);
    expect(shown.json().consumers[2].plugins['jwt-auth'].secret).toBe('(secret)');
    expect(shown.body).not.toContain('second-secret');
  });

  it('names a secret problem by its position in the whole document (after x, s1, s2, y, z)', async () => {
    const app = adminServer(store);
    for (const id of ['y', 'z']) expect((await app.inject({ method: 'PUT', url: `/admin/v1/consumers/${id}`, headers: asAdmin, payload: {} })).statusCode).toBe(201);
    const res = await app.inject({ method: 'PUT', url: '/admin/v1/consumers/q', headers: asAdmin, payload: { plugins: { 'jwt-auth': { subject: 'q', secret: '(secret)' } } } });
    await app.close();
    expect(res.statusCode).toBe(400);
    expect(res.json().problems.map((p: { path: string }) => p.path)).toEqual(['/consumers/5/plugins/jwt-auth/secret']);
  });
});
