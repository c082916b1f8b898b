import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ensureAdminTokenFile, hashToken, parseTokenEntries, TokenVerifier } from '../../../gateway/src/control-plane';
import { GatehouseError } from '../../../gateway/src/core/errors';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { adminServer, asAdmin, asViewer } from './admin-helpers';

describe('admin API authentication', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase('admin_auth');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    app = adminServer(store);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await db.drop();
  });

  const concrete = (url: string) => url.replace(':id', 'x').replace(':version', '1');

  it('answers 401 without a token or with an unknown one on every registered route', async () => {
    expect(app.adminOperations.length).toBeGreaterThanOrEqual(20);
    for (const op of app.adminOperations) {
      const none = await app.inject({ method: op.method.toUpperCase() as 'GET', url: concrete(op.url) });
      expect([op.method, op.url, none.statusCode]).toEqual([op.method, op.url, 401]);
      expect(none.json()).toEqual({ error: { code: 'GW_ERR_UNAUTHORIZED', message: 'Authentication required. Send Authorization: Bearer <admin token>.' } });
      expect(none.headers['www-authenticate']).toBe('Bearer realm="gatehouse-admin"');
      const wrong = await app.inject({ method: op.method.toUpperCase() as 'GET', url: concrete(op.url), headers: { authorization: 'Bearer gh_not-a-token' } });
      expect([op.method, op.url, wrong.statusCode]).toEqual([op.method, op.url, 401]);
    }
  });

  it('answers 403 to a viewer on every write route, and lets viewers read', async () => {
    // Validation changes nothing, so viewers may use it (for example from CI).
    const readOnlyPosts = new Set(['post /admin/v1/validate']);
    const writes = app.adminOperations.filter((op) => op.method !== 'get' && !readOnlyPosts.has(`${op.method} ${op.url}`));
    expect(writes.length).toBeGreaterThanOrEqual(12);
    for (const op of writes) {
      expect(op.access).toBe('write');
      const res = await app.inject({ method: op.method.toUpperCase() as 'POST', url: concrete(op.url), headers: asViewer, payload: {} });
      expect([op.method, op.url, res.statusCode]).toEqual([op.method, op.url, 403]);
      expect(res.json().error.code).toBe('GW_ERR_FORBIDDEN');
    }
    for (const op of app.adminOperations.filter((o) => o.access === 'read')) {
      const res = await app.inject({ method: op.method.toUpperCase() as 'GET', url: concrete(op.url), headers: asViewer, payload: {} });
      expect([op.method, op.url, res.statusCode]).not.toEqual([op.method, op.url, 401]);
      expect([op.method, op.url, res.statusCode]).not.toEqual([op.method, op.url, 403]);
    }
  });

  it('serves an OpenAPI document listing every operation', async () => {
    const res = await app.inject({ url: '/admin/v1/openapi.json', headers: asAdmin });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.0.3');
    for (const op of app.adminOperations) expect(doc.paths[op.url.replace(/:(\w+)/g, '{$1}')][op.method]).toBeDefined();
    expect(doc.paths['/admin/v1/routes/{id}'].put.requestBody.content['application/json'].schema.properties.upstream).toBeDefined();
  });

  it('keeps the generated standalone token in a 0600 file and reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-token-'));
    try {
      const first = await ensureAdminTokenFile(dir);
      expect(first.created).toBe(true);
      expect(first.path).toBe(join(dir, 'admin-token'));
      expect((await stat(first.path)).mode & 0o777).toBe(0o600);
      const token = (await readFile(first.path, 'utf8')).trim();
      expect(first.entry).toEqual({ role: 'admin', hash: hashToken(token) });
      const second = await ensureAdminTokenFile(dir);
      expect(second).toEqual({ ...first, created: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('parses hashed token entries and rejects raw tokens with the setting named', () => {
    const h = hashToken('gh_example');
    expect(parseTokenEntries(`admin:${h}, viewer:${h.toUpperCase()}`)).toEqual([
      { role: 'admin', hash: h },
      { role: 'viewer', hash: h },
    ]);
    const err = (() => {
      try {
        parseTokenEntries('admin:gh_rawtoken');
      } catch (e) {
        return e as GatehouseError;
      }
    })();
    expect(err?.code).toBe('GW_ERR_SETTINGS_INVALID');
    expect(err?.problems[0]?.message).toBe('entry 1 is not "admin:<sha256 hex>" or "viewer:<sha256 hex>" (env GATEHOUSE_ADMIN_TOKENS).');
    expect(new TokenVerifier([{ role: 'viewer', hash: h }]).verify('gh_example')).toEqual({ role: 'viewer', id: h.slice(0, 8) });
    expect(new TokenVerifier([{ role: 'viewer', hash: h }]).verify('gh_other')).toBeUndefined();
  });
});
