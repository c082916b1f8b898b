import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { documentWithRoutes } from '../../helpers/control-plane/documents';
import { adminServer, asAdmin } from './admin-helpers';

describe('admin API', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let app: FastifyInstance;
  const call = (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: method as 'GET', url, headers: { ...asAdmin, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const head = async () => (await store.head())?.version ?? 0;

  beforeAll(async () => {
    db = await createTestDatabase('admin_api');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    app = adminServer(store, 64 * 1024);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await db.drop();
  });

  it('creates, reads, replaces and deletes resources, one version per write', async () => {
    let res = await call('PUT', '/admin/v1/upstreams/backend', { targets: [{ host: '127.0.0.1', port: 9001 }] });
    expect(res.statusCode).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    expect(res.json()).toMatchObject({ version: 1, author: expect.stringMatching(/^admin:[0-9a-f]{8}$/), message: 'put upstream backend', diff: { upstreams: { added: ['backend'] } } });
    expect(res.json().upstream).toMatchObject({ id: 'backend', scheme: 'http', retries: 1 });

    res = await call('POST', '/admin/v1/routes', { id: 'orders', paths: ['/orders/*'], upstream: 'backend' });
    expect(res.statusCode).toBe(201);
    expect(res.json().route).toMatchObject({ id: 'orders', priority: 0 });

    res = await call('POST', '/admin/v1/routes', { id: 'orders', paths: ['/x'], upstream: 'backend' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toEqual({ code: 'GW_ERR_RESOURCE_EXISTS', message: 'A resource with this id already exists; use PUT to replace it. route "orders" exists.' });

    res = await call('GET', '/admin/v1/routes/orders');
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.json()).toMatchObject({ version: 2, route: { id: 'orders', paths: ['/orders/*'] } });

    res = await call('GET', '/admin/v1/routes');
    expect(res.json().items.map((r: { id: string }) => r.id)).toEqual(['orders']);

    res = await call('PUT', '/admin/v1/routes/orders', { paths: ['/orders/*', '/o/*'], upstream: 'backend' }, { 'if-match': '"2"' });
    expect(res.statusCode).toBe(200);
    expect(res.json().diff.routes).toEqual({ added: [], removed: [], changed: ['orders'] });

    res = await call('PUT', '/admin/v1/routes/orders', { paths: ['/z'], upstream: 'backend' }, { 'if-match': '"2"' });
    expect(res.statusCode).toBe(412);
    expect(res.json().error).toEqual({
      code: 'GW_ERR_VERSION_CONFLICT',
      message: 'The config changed since you read it (If-Match does not match the current version); read it again and retry. You sent If-Match "2" but the current version is 3.',
    });

    res = await call('PUT', '/admin/v1/plugins/cors', { origins: ['*'] });
    expect(res.statusCode).toBe(201);
    res = await call('GET', '/admin/v1/plugins');
    expect(res.json().items).toEqual([{ name: 'cors', config: { origins: ['*'] } }]);
    res = await call('DELETE', '/admin/v1/plugins/cors');
    expect(res.statusCode).toBe(200);
    expect(res.json().diff.plugins.removed).toEqual(['cors']);

    res = await call('DELETE', '/admin/v1/routes/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe('No such resource. There is no route "nope".');
    expect(await head()).toBe(5);
  });

  it('rejects a route naming a missing upstream with the JSON path, and keeps the active version', async () => {
    const before = await head();
    const res = await call('POST', '/admin/v1/routes', { id: 'bad', paths: ['/bad'], upstream: 'missing', priority: 'high' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(res.json().problems).toEqual([{ path: '/routes/1/priority', message: 'must be integer.', fix: 'use a value of type integer.' }]);
    const res2 = await call('POST', '/admin/v1/routes', { id: 'bad', paths: ['/bad'], upstream: 'missing' });
    expect(res2.json().problems).toEqual([
      { path: '/routes/1/upstream', message: 'upstream "missing" does not exist.', fix: 'define an upstream with id "missing" or reference one of the existing upstreams.' },
    ]);
    expect(await head()).toBe(before);
  });

  it('refuses to delete an upstream in use and names the routes using it', async () => {
    const before = await head();
    const res = await call('DELETE', '/admin/v1/upstreams/backend');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: { code: 'GW_ERR_RESOURCE_IN_USE', message: 'The resource is still referenced; remove or change the references first. upstream "backend" is used by 1 item(s).' },
      problems: [{ path: '/routes/0/upstream', message: 'route "orders" uses upstream "backend".', fix: 'point route "orders" at another upstream or delete it first.' }],
    });
    expect(await head()).toBe(before);
  });

  it('replaces the whole config from YAML, with a dry run that only returns the diff', async () => {
    const before = await head();
    const doc = documentWithRoutes(3, 9001, '127.0.0.1', 'y');
    doc.routes.push({ id: 'orders', paths: ['/orders/*'], upstream: 'backend' } as never);
    let res = await call('PUT', '/admin/v1/config?dryRun=true', stringify(doc), { 'content-type': 'application/yaml' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      dryRun: true,
      baseVersion: before,
      diff: {
        routes: { added: ['y0', 'y1', 'y2'], removed: [], changed: ['orders'] },
        upstreams: { added: [], removed: [], changed: [] },
        consumers: { added: [], removed: [], changed: [] },
        plugins: { added: [], removed: [], changed: [] },
        changes: [
          { op: 'remove', path: '/routes/orders/paths/1', before: '/o/*' },
          { op: 'add', path: '/routes/y0', value: expect.objectContaining({ id: 'y0' }) },
          { op: 'add', path: '/routes/y1', value: expect.objectContaining({ id: 'y1' }) },
          { op: 'add', path: '/routes/y2', value: expect.objectContaining({ id: 'y2' }) },
        ],
        unchanged: false,
      },
    });
    expect(await head()).toBe(before);

    res = await call('PUT', '/admin/v1/config', stringify(doc), { 'content-type': 'application/yaml', 'if-match': `"${before}"` });
    expect(res.statusCode).toBe(200);
    expect(res.json().version).toBe(before + 1);
    res = await call('GET', '/admin/v1/config', undefined, { accept: 'application/yaml' });
    expect(res.headers['content-type']).toMatch(/^application\/yaml/);
    expect(res.body).toContain('id: y2');
    res = await call('GET', '/admin/v1/config');
    expect(res.json().routes).toHaveLength(4);
    expect(res.headers.etag).toBe(`"${before + 1}"`);
  });

  it('validates without applying', async () => {
    const before = await head();
    let res = await call('POST', '/admin/v1/validate', documentWithRoutes(1, 9001));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ valid: true, baseVersion: before, diff: { routes: { removed: ['y0', 'y1', 'y2', 'orders'], added: ['r0'] } } });
    res = await call('POST', '/admin/v1/validate', { routes: [{ id: 'a', paths: ['nope'], upstream: 'u' }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().problems.map((p: { path: string }) => p.path)).toEqual(['/routes/0/upstream', '/routes/0/paths/0']);
    expect(await head()).toBe(before);
    // Every stage at once: a schema problem (bad port) does not hide the reference and route problems.
    res = await call('POST', '/admin/v1/validate', {
      upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 0 }] }],
      routes: [{ id: 'a', paths: ['nope'], upstream: 'u' }, { id: 'a', paths: ['/b'], upstream: 'missing' }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().problems.map((p: { path: string }) => p.path)).toEqual(['/routes/0/paths/0', '/routes/1/id', '/routes/1/upstream', '/upstreams/0/targets/0/port']);
    expect(await head()).toBe(before);
  });

  it('guards against dropping most routes unless allowDrop is given, and records it', async () => {
    const before = await head();
    let res = await call('PUT', '/admin/v1/config', documentWithRoutes(1, 9001));
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toEqual({
      code: 'GW_ERR_CONFIG_DROP',
      message: 'This change removes most (or all) routes; if that is intended, retry with ?allowDrop=true. The new version would be refused by data planes: it drops 3 of 4 routes (75% > 50%).',
    });
    expect(await head()).toBe(before);
    res = await call('PUT', '/admin/v1/config?allowDrop=true&message=shrink', documentWithRoutes(1, 9001));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: before + 1, intendedDrop: true, message: 'shrink' });
    expect((await store.head())!.intendedDrop).toBe(true);
  });

  it('lists versions, reads one and rolls back by writing a new version with the old content', async () => {
    const before = await head();
    let res = await call('GET', '/admin/v1/versions?limit=2');
    expect(res.json().current).toBe(before);
    expect(res.json().versions.map((v: { version: number }) => v.version)).toEqual([before, before - 1]);
    res = await call('GET', `/admin/v1/versions/${before - 1}`);
    expect(res.json().document.routes).toHaveLength(4);
    expect(Object.keys(res.json()).sort()).toEqual(['author', 'checksum', 'createdAt', 'document', 'intact', 'intendedDrop', 'message', 'routeCount', 'version']);
    res = await call('POST', `/admin/v1/versions/${before - 1}/rollback`);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ version: before + 1, rolledBackTo: before - 1, message: `rollback to version ${before - 1}`, diff: { routes: { added: ['y0', 'y1', 'y2', 'orders'] } } });
    expect((await store.get(before + 1))!.checksum).toBe((await store.get(before - 1))!.checksum);
    res = await call('GET', '/admin/v1/versions/9999');
    expect(res.statusCode).toBe(404);
    res = await call('GET', '/admin/v1/versions/abc');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('The request is malformed. version must be a whole number from 1 to 2147483647 (got "abc").');
  });

  it('answers bodies over the limit with 413, unknown media types with 415 and bad JSON with 400, writing nothing', async () => {
    const before = await head();
    let res = await call('PUT', '/admin/v1/config', JSON.stringify(documentWithRoutes(2000)), { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toEqual({
      code: 'GW_ERR_ADMIN_BODY_TOO_LARGE',
      message: 'The request body is larger than the admin API accepts; raise adminBodyLimitBytes (GATEHOUSE_ADMIN_BODY_LIMIT_BYTES) or send a smaller document. The limit is 65536 bytes.',
    });
    res = await call('PUT', '/admin/v1/config', 'routes=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('GW_ERR_UNSUPPORTED_MEDIA_TYPE');
    res = await call('PUT', '/admin/v1/config', '{"routes": [', { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('GW_ERR_BAD_REQUEST');
    res = await call('PUT', '/admin/v1/config', 'routes: [', { 'content-type': 'application/yaml' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^The request is malformed. The YAML body does not parse: /);
    res = await call('PUT', '/admin/v1/config', undefined, { 'if-match': 'abc' });
    expect(res.statusCode).toBe(400);
    expect(await head()).toBe(before);
  });
});
