/**
 * Hostile requests to the admin API, against real PostgreSQL: numbers outside what the store can
 * hold and bodies nested deeper than any document are 400 GW_ERR_BAD_REQUEST naming the problem,
 * media types other than JSON and YAML are 415, and a database failure reaches the client only as
 * the defined 503 message while its text goes to the log. Nothing is written by any of them.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Client } from 'pg';
import { buildAdminServer, hashToken } from '../../../gateway/src/control-plane';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { adminToken, asAdmin } from './admin-helpers';

const badRequest = (message: string) => ({ error: { code: 'GW_ERR_BAD_REQUEST', message: `The request is malformed. ${message}` } });

describe('admin API against hostile requests', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let app: FastifyInstance;
  const logLines: string[] = [];
  const call = (method: string, url: string, payload?: string, headers: Record<string, string> = {}) =>
    app.inject({ method: method as 'GET', url, headers: { ...asAdmin, ...headers }, ...(payload === undefined ? {} : { payload }) });

  beforeAll(async () => {
    db = await createTestDatabase('admin_bad_requests');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(chunk.toString()), done()) });
    app = buildAdminServer({ store, tokens: [{ role: 'admin', hash: hashToken(adminToken) }], bodyLimitBytes: 1024 * 1024, dropGuardPercent: 50, logger: pino({ level: 'info' }, sink) });
    await app.ready();
    const res = await call('PUT', '/admin/v1/routes/r', JSON.stringify({ paths: ['/r'], upstream: 'u' }), { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400); // no upstream u yet: nothing written; the head stays 0
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await db?.drop();
  });

  it.each([
    ['GET', '/admin/v1/versions/2147483648', 'version', '2147483648'],
    ['GET', '/admin/v1/versions/99999999999999999999', 'version', '99999999999999999999'],
    ['POST', '/admin/v1/versions/2147483648/rollback', 'version', '2147483648'],
    ['GET', '/admin/v1/versions?before=2147483648', 'before', '2147483648'],
    ['GET', '/admin/v1/versions?limit=1e3', 'limit', '1e3'],
    ['GET', '/admin/v1/versions/0', 'version', '0'],
  ])('%s %s answers 400 naming the parameter and its range', async (method, url, name, got) => {
    const res = await call(method, url);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(badRequest(`${name} must be a whole number from 1 to 2147483647 (got "${got}").`));
  });

  it('answers 400 to an If-Match version the store cannot hold', async () => {
    const res = await call('PUT', '/admin/v1/config', '{}', { 'content-type': 'application/json', 'if-match': '"2147483648"' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(badRequest('If-Match "\\"2147483648\\"" is not a config version; send the ETag you read, e.g. If-Match: "12".'.replace(/\\"/g, '"')));
  });

  it.each([
    ['application/json', '{"plugins":{"x":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}}'],
    ['application/json', '{"plugins":{"x":' + '{"a":'.repeat(65) + '1' + '}'.repeat(65) + '}}'],
    ['application/yaml', 'plugins:\n  x: ' + '['.repeat(100) + ']'.repeat(100) + '\n'],
    ['application/yaml', 'plugins:\n  x: ' + '['.repeat(20_000) + ']'.repeat(20_000) + '\n'],
  ])('answers 400 to a %s body nested deeper than 64 levels, writing nothing', async (type, body) => {
    const res = await call('PUT', '/admin/v1/config', body, { 'content-type': type });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(badRequest('The body nests arrays and objects more than 64 levels deep; a config document needs far fewer.'));
    expect(await store.head()).toBeUndefined();
  });

  it('takes a body nested exactly 64 levels', async () => {
    const body = '{"plugins":{"x":' + '{"a":'.repeat(62) + '1' + '}'.repeat(62) + '}}';
    const res = await call('PUT', '/admin/v1/config', body, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().version).toBe(1);
  });

  it.each(['text/plain', 'text/html', 'application/xml'])('answers 415 to a %s body', async (type) => {
    const res = await call('PUT', '/admin/v1/config', 'routes: []', { 'content-type': type });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      error: { code: 'GW_ERR_UNSUPPORTED_MEDIA_TYPE', message: `Send the body as application/json or application/yaml. Content-Type "${type}" is not accepted.` },
    });
  });

  it('a database failure reaches the client as the defined message only; the log gets the database text', async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    await c.query('ALTER TABLE gatehouse_config_versions RENAME TO gatehouse_config_versions_away');
    try {
      const res = await call('GET', '/admin/v1/versions/1');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ error: { code: 'GW_ERR_STORE_UNAVAILABLE', message: 'The config store (PostgreSQL) is unavailable; nothing was changed. Retry when it is back.' } });
      expect(res.body).not.toMatch(/relation|gatehouse_config_versions/);
      expect(logLines.join('')).toMatch(/relation \\"gatehouse_config_versions\\" does not exist/);
    } finally {
      await c.query('ALTER TABLE gatehouse_config_versions_away RENAME TO gatehouse_config_versions');
      await c.end();
    }
  });
});
