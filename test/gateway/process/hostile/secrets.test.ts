/**
 * Hostile viewer: a viewer token against a real control plane process on real PostgreSQL cannot
 * read an HS256 secret from any read path (and so cannot forge tokens for the consumer).
 */
import { Client } from 'pg';
import { hashToken, newToken } from '../../../../gateway/src/control-plane';
import { newKeyEntry } from '../../../../gateway/src/config/secrets';
import { createTestDatabase, type TestDatabase } from '../../../helpers/control-plane/databases';
import { freePort } from '../../../../support/free-port';
import { spawnGateway, within, type GatewayChild } from '../../../../support/gateway-process';

const SECRET = 'alice-hostile-hs256-secret-0123456789';
const admin = newToken();
const viewer = newToken();

describe('a viewer cannot read secrets', () => {
  let db: TestDatabase;
  let child: GatewayChild;
  let base: string;
  const call = (token: string, method: string, path: string, body?: unknown, accept = 'application/json') =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    db = await createTestDatabase('hostile_secrets');
    const adminPort = await freePort();
    base = `http://127.0.0.1:${adminPort}`;
    child = spawnGateway({
      env: {
        GATEHOUSE_ROLE: 'control-plane',
        DATABASE_URL: db.url,
        GATEHOUSE_ADMIN_TOKENS: `admin:${hashToken(admin)},viewer:${hashToken(viewer)}`,
        GATEHOUSE_SECRETS_KEYS: newKeyEntry('k1'),
        GATEHOUSE_ADMIN_PORT: String(adminPort),
        GATEHOUSE_STATUS_PORT: String(await freePort()),
        GATEHOUSE_LOG_LEVEL: 'info',
      },
    });
    await within(
      Promise.race([child.started, child.exited.then((code) => Promise.reject(new Error(`control plane exited ${code}: ${child.stderr}`)))]),
      60_000,
      'the control plane to start',
    );
  }, 90_000);
  afterAll(async () => {
    child.kill();
    await child.exited;
    await db.drop();
  });

  it('sees "(secret)" on every read path and is refused plaintext', async () => {
    const written = await call(admin, 'PUT', '/admin/v1/config', {
      upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }],
      routes: [{ id: 'api', paths: ['/api/*'], upstream: 'u', plugins: { 'jwt-auth': {} } }],
      consumers: [{ id: 'alice', plugins: { 'jwt-auth': { subject: 'alice', secret: SECRET } } }],
    });
    expect(written.status).toBe(200);
    expect(await written.text()).not.toContain(SECRET);

    const reads: [string, string][] = [
      ['/admin/v1/consumers', 'application/json'],
      ['/admin/v1/consumers/alice', 'application/json'],
      ['/admin/v1/config', 'application/json'],
      ['/admin/v1/config', 'application/yaml'],
      ['/admin/v1/versions/1', 'application/json'],
      ['/admin/v1/versions', 'application/json'],
      ['/admin/v1/routes', 'application/json'],
      ['/admin/v1/plugins', 'application/json'],
    ];
    for (const [path, accept] of reads) {
      const res = await call(viewer, 'GET', path, undefined, accept);
      const body = await res.text();
      expect({ path, accept, status: res.status }).toEqual({ path, accept, status: 200 });
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain('$enc:');
    }
    expect(await (await call(viewer, 'GET', '/admin/v1/consumers/alice')).json()).toMatchObject({ consumer: { plugins: { 'jwt-auth': { secret: '(secret)' } } } });

    for (const path of ['/admin/v1/config', '/admin/v1/consumers/alice', '/admin/v1/versions/1']) {
      const res = await call(viewer, 'GET', `${path}?secrets=plaintext`);
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain(SECRET);
    }
    const dump = await (await call(viewer, 'GET', '/admin/v1/config')).json();
    const validated = await call(viewer, 'POST', '/admin/v1/validate', dump);
    expect(validated.status).toBe(200);
    expect(await validated.text()).not.toContain(SECRET);

    // The admin who asks does see it; the database never held it.
    expect(await (await call(admin, 'GET', '/admin/v1/consumers/alice?secrets=plaintext')).text()).toContain(SECRET);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const stored = (await pg.query<{ d: string }>('SELECT document::text AS d FROM gatehouse_config_versions WHERE document IS NOT NULL UNION ALL SELECT body FROM gatehouse_config_changes WHERE body IS NOT NULL')).rows.map((r) => r.d).join('');
    await pg.end();
    expect(stored).not.toContain(SECRET);
  });
});
