/** Secrets through the admin API: sealed before the store, "(secret)" on every read, plaintext for admins who ask, rotation. */
import type { FastifyInstance } from 'fastify';
import { Client } from 'pg';
import { parse as parseYaml } from 'yaml';
import { newKeyEntry, parseKeyring, type Keyring } from '../../../gateway/src/config/secrets';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { adminServer, asAdmin, asViewer } from './admin-helpers';

const SECRET = 'alice-hs256-secret-0123456789abcdef';
const OTHER = 'alice-rotated-secret-0123456789abcdef';
const K1 = newKeyEntry('k1');
const K2 = newKeyEntry('k2');
const ring = (spec: string) => parseKeyring(spec, 'GATEHOUSE_SECRETS_KEYS')!;

const base = {
  upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port: 9 }] }],
  routes: [{ id: 'api', paths: ['/api/*'], upstream: 'backend', plugins: { 'jwt-auth': {} } }],
  consumers: [
    { id: 'alice', plugins: { 'jwt-auth': { subject: 'alice', secret: SECRET } } },
    { id: 'bob', plugins: { 'jwt-auth': { subject: 'bob', secret: '$env://BOB_JWT_SECRET' } } },
  ],
  plugins: {},
};
const aliceSlot = (doc: { consumers: { id: string; plugins?: Record<string, unknown> }[] }) => doc.consumers.find((c) => c.id === 'alice')!.plugins!['jwt-auth'] as { secret?: string };

describe('admin API secrets', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let apps: FastifyInstance[] = [];
  const server = async (keyring: Keyring | undefined) => {
    const app = adminServer(store, 1024 * 1024, { secretsKeyring: keyring });
    apps.push(app);
    await app.ready();
    return app;
  };
  const inject = (app: FastifyInstance, method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
    app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const rawDocuments = async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query<{ d: string }>('SELECT document::text AS d FROM gatehouse_config_versions WHERE document IS NOT NULL UNION ALL SELECT body FROM gatehouse_config_changes WHERE body IS NOT NULL')).rows.map((r) => r.d).join('\n');
    } finally {
      await c.end();
    }
  };

  beforeEach(async () => {
    db = await createTestDatabase('secrets_admin');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
  });
  afterEach(async () => {
    for (const app of apps) await app.close();
    apps = [];
    await store.close();
    await db.drop();
  });

  it('stores an envelope, never the plaintext, and keeps it while the plaintext is unchanged', async () => {
    const app = await server(ring(K1));
    const first = await inject(app, 'PUT', '/admin/v1/config', asAdmin, base);
    expect(first.statusCode).toBe(200);
    const stored = (await store.get(1))!.document;
    expect(aliceSlot(stored).secret).toMatch(/^\$enc:v1:k1:/);
    expect(stored.consumers[1]!.plugins!['jwt-auth']).toEqual({ subject: 'bob', secret: '$env://BOB_JWT_SECRET' });
    expect(await rawDocuments()).not.toContain(SECRET);

    const again = await inject(app, 'PUT', '/admin/v1/config', asAdmin, base);
    // The same plaintext keeps the stored envelope, so the write is a no-op: no version 2.
    expect(again.json()).toMatchObject({ unchanged: true, version: 1, checksum: first.json().checksum, diff: { unchanged: true } });
    expect(await store.get(2)).toBeUndefined();

    const changed = await inject(app, 'PUT', '/admin/v1/consumers/alice', asAdmin, { plugins: { 'jwt-auth': { subject: 'alice', secret: OTHER } } });
    expect(changed.json().diff.consumers.changed).toEqual(['alice']);
    // The diff says that the secret changed, never what it was or is.
    expect(changed.json().diff.changes).toEqual([{ op: 'replace', path: '/consumers/alice/plugins/jwt-auth/secret', before: '(secret)', value: '(secret, changed)' }]);
    expect(JSON.stringify(changed.json())).not.toContain('$enc:');
    expect(aliceSlot((await store.get(2))!.document).secret).not.toBe(aliceSlot(stored).secret);
    expect(await rawDocuments()).not.toContain(OTHER);
  });

  it('shows "(secret)" to a viewer on every read path, and references as they are', async () => {
    const app = await server(ring(K1));
    const written = await inject(app, 'POST', '/admin/v1/consumers', asAdmin, { id: 'carol', plugins: { 'jwt-auth': { subject: 'carol', secret: SECRET } } });
    expect(written.statusCode).toBe(201);
    expect(written.json().consumer).toEqual({ id: 'carol', plugins: { 'jwt-auth': { subject: 'carol', secret: '(secret)' } } });
    await inject(app, 'PUT', '/admin/v1/config', asAdmin, base);
    const envelope = aliceSlot((await store.get(2))!.document).secret!;

    const reads = ['/admin/v1/consumers', '/admin/v1/consumers/alice', '/admin/v1/config', '/admin/v1/versions/1', '/admin/v1/versions/2'];
    for (const url of reads) {
      const res = await inject(app, 'GET', url, asViewer);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('"secret":"(secret)"');
      expect(res.body).not.toContain(SECRET);
      expect(res.body).not.toContain(envelope.slice(8));
    }
    const yaml = await inject(app, 'GET', '/admin/v1/config', { ...asViewer, accept: 'application/yaml' });
    expect(parseYaml(yaml.body).consumers).toEqual([
      { id: 'alice', plugins: { 'jwt-auth': { subject: 'alice', secret: '(secret)' } } },
      { id: 'bob', plugins: { 'jwt-auth': { subject: 'bob', secret: '$env://BOB_JWT_SECRET' } } },
    ]);
    // Admins see placeholders too unless they ask.
    expect(aliceSlot((await inject(app, 'GET', '/admin/v1/config', asAdmin)).json()).secret).toBe('(secret)');
  });

  it('shows plaintext only to an admin who asks; a viewer asking gets 403', async () => {
    const app = await server(ring(K1));
    await inject(app, 'PUT', '/admin/v1/config', asAdmin, base);
    for (const url of ['/admin/v1/config', '/admin/v1/consumers/alice', '/admin/v1/consumers', '/admin/v1/versions/1']) {
      const denied = await inject(app, 'GET', `${url}?secrets=plaintext`, asViewer);
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toEqual({
        error: { code: 'GW_ERR_SECRETS_PLAINTEXT_FORBIDDEN', message: 'Secrets in plaintext are shown to admin tokens only; read without ?secrets=plaintext to see "(secret)" placeholders.' },
      });
      const shown = await inject(app, 'GET', `${url}?secrets=plaintext`, asAdmin);
      expect(shown.statusCode).toBe(200);
      expect(shown.body).toContain(`"secret":"${SECRET}"`);
    }
    const bad = await inject(app, 'GET', '/admin/v1/config?secrets=all', asAdmin);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toBe('The request is malformed. secrets must be "placeholder" or "plaintext" (got "all").');
  });

  it('applies a dump unchanged: "(secret)" keeps the stored value, the checksum stays', async () => {
    const app = await server(ring(K1));
    const first = await inject(app, 'PUT', '/admin/v1/config', asAdmin, base);
    const dump = (await inject(app, 'GET', '/admin/v1/config', asViewer)).json();
    const applied = await inject(app, 'PUT', '/admin/v1/config', asAdmin, dump);
    expect(applied.statusCode).toBe(200);
    expect(applied.json().diff.unchanged).toBe(true);
    expect(applied.json().checksum).toBe(first.json().checksum);
    const one = await inject(app, 'PUT', '/admin/v1/consumers/alice', asAdmin, { plugins: { 'jwt-auth': { subject: 'alice', secret: '(secret)' } } });
    expect(one.json().checksum).toBe(first.json().checksum);
    const plain = await inject(app, 'GET', '/admin/v1/consumers/alice?secrets=plaintext', asAdmin);
    expect(plain.json().consumer.plugins['jwt-auth'].secret).toBe(SECRET);
  });

  it('refuses "(secret)" where nothing is stored, naming the path', async () => {
    const app = await server(ring(K1));
    await inject(app, 'PUT', '/admin/v1/config', asAdmin, base);
    const res = await inject(app, 'POST', '/admin/v1/consumers', asAdmin, { id: 'dave', plugins: { 'jwt-auth': { subject: 'dave', secret: '(secret)' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().problems).toEqual([
      {
        path: '/consumers/2/plugins/jwt-auth/secret',
        message: '"(secret)" stands for the stored secret, but nothing is stored at this place.',
        fix: 'send the secret itself (or a $env:// or $secret://aws/ reference) instead of the placeholder.',
      },
    ]);
  });

  it('without a key refuses inline secrets but accepts references', async () => {
    const app = await server(undefined);
    const res = await inject(app, 'PUT', '/admin/v1/config', asAdmin, base);
    expect(res.statusCode).toBe(400);
    expect(res.json().problems).toEqual([
      {
        path: '/consumers/0/plugins/jwt-auth/secret',
        message: 'this control plane has no secrets key, so it cannot store a secret inline.',
        fix: 'set GATEHOUSE_SECRETS_KEYS (docs/RUNBOOK.md, "Secrets keys"), or give a reference: $env://NAME or $secret://aws/<name>#<json-key>.',
      },
    ]);
    const refs = structuredClone(base);
    refs.consumers[0]!.plugins['jwt-auth']!.secret = '$secret://aws/prod/gatehouse#alice';
    expect((await inject(app, 'PUT', '/admin/v1/config', asAdmin, refs)).statusCode).toBe(200);
    expect(await rawDocuments()).not.toContain(SECRET);
  });

  it('refuses an envelope it cannot decrypt', async () => {
    const foreign = structuredClone(base);
    foreign.consumers[0]!.plugins['jwt-auth']!.secret = ring(K2).encrypt(SECRET);
    const res = await inject(await server(ring(K1)), 'PUT', '/admin/v1/config', asAdmin, foreign);
    expect(res.statusCode).toBe(400);
    expect(res.json().problems[0]).toMatchObject({ path: '/consumers/0/plugins/jwt-auth/secret', message: 'the encrypted value cannot be decrypted: it was encrypted under key id "k2", which is not in the keyring (k1).' });
  });

  it('gives a viewer no oracle: validating the stored plaintext still reports the consumer changed', async () => {
    const app = await server(ring(K1));
    await inject(app, 'PUT', '/admin/v1/config', asAdmin, base);
    const asViewerDiff = await inject(app, 'POST', '/admin/v1/validate', asViewer, base);
    expect(asViewerDiff.json().diff.consumers.changed).toEqual(['alice']);
    const asAdminDiff = await inject(app, 'POST', '/admin/v1/validate', asAdmin, base);
    expect(asAdminDiff.json().diff.unchanged).toBe(true);
    expect(asAdminDiff.body).not.toContain(SECRET);
  });

  it('rotates: re-encrypts under the new first key; afterwards the old key can be removed', async () => {
    await inject(await server(ring(K1)), 'PUT', '/admin/v1/config', asAdmin, base);
    const both = await server(ring(`${K2},${K1}`));
    // The old key still decrypts while it is listed.
    expect(aliceSlot((await inject(both, 'GET', '/admin/v1/config?secrets=plaintext', asAdmin)).json()).secret).toBe(SECRET);
    const viewer = await inject(both, 'POST', '/admin/v1/secrets/rotate', asViewer);
    expect(viewer.statusCode).toBe(403);
    const rotated = await inject(both, 'POST', '/admin/v1/secrets/rotate', asAdmin);
    expect(rotated.statusCode).toBe(201);
    expect(rotated.json()).toMatchObject({ version: 2, keyId: 'k2', reencrypted: 1, diff: { consumers: { changed: ['alice'] } } });
    expect(aliceSlot((await store.get(2))!.document).secret).toMatch(/^\$enc:v1:k2:/);

    const onlyNew = await server(ring(K2));
    expect(aliceSlot((await inject(onlyNew, 'GET', '/admin/v1/config?secrets=plaintext', asAdmin)).json()).secret).toBe(SECRET);
    const nothingLeft = await inject(onlyNew, 'POST', '/admin/v1/secrets/rotate', asAdmin);
    expect(nothingLeft.json()).toMatchObject({ reencrypted: 0, diff: { unchanged: true } });
    // A version from before the rotation is unreadable in plaintext once its key is gone.
    const old = await inject(onlyNew, 'GET', '/admin/v1/versions/1?secrets=plaintext', asAdmin);
    expect(old.statusCode).toBe(500);
    expect(old.json().error.code).toBe('GW_ERR_SECRET_UNREADABLE');

    const none = await inject(await server(undefined), 'POST', '/admin/v1/secrets/rotate', asAdmin);
    expect(none.statusCode).toBe(409);
    expect(none.json().error.code).toBe('GW_ERR_SECRETS_KEY_MISSING');
  });
});
