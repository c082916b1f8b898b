/**
 * Inline secrets at rest: the store, the S3 backup and the last-known-good file hold envelopes
 * only (their raw bytes never contain the secret), and a data plane fed from them still admits the
 * consumer with the secret.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createSigner } from 'fast-jwt';
import { Client } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { newKeyEntry, parseKeyring } from '../../../gateway/src/config/secrets';
import { ConfigSync } from '../../../gateway/src/sync';
import { ConfigBackup } from '../../../gateway/src/control-plane';
import { DataPlane } from '../../../gateway/src/data-plane';
import { createSecretResolver } from '../../../gateway/src/data-plane/secrets';
import { SnapshotCompiler } from '../../../gateway/src/data-plane/snapshot';
import { createPluginRegistry } from '../../../gateway/src/plugins';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';
import { waitFor } from '../../helpers/control-plane/wait';
import { adminServer, asAdmin } from '../control-plane/admin-helpers';
import { decide, fakeContext } from '../plugins/harness';

const SECRET = 'alice-at-rest-secret-0123456789abcdef';
const keyring = parseKeyring(newKeyEntry('k1'), 'GATEHOUSE_SECRETS_KEYS')!;

describe('secrets at rest', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let s3: TestS3;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('secrets_at_rest');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    s3 = await startS3('secrets-backup', 'gh');
    dir = await mkdtemp(join(tmpdir(), 'gh-secrets-'));
  });
  afterAll(async () => {
    await store.close();
    await s3.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps only envelopes in the store, S3 and the last-known-good file; the data plane decrypts them', async () => {
    const admin = adminServer(store, 1024 * 1024, { secretsKeyring: keyring });
    const written = await admin.inject({
      method: 'PUT',
      url: '/admin/v1/config',
      headers: asAdmin,
      payload: {
        upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }],
        routes: [{ id: 'api', paths: ['/api/*'], upstream: 'u', plugins: { 'jwt-auth': {} } }],
        consumers: [{ id: 'alice', plugins: { 'jwt-auth': { subject: 'alice', secret: SECRET } } }],
      },
    });
    expect(written.statusCode).toBe(200);
    await admin.close();

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const rows = (await pg.query<{ d: string }>('SELECT document::text AS d FROM gatehouse_config_versions')).rows;
    await pg.end();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.d).toContain('$enc:v1:k1:');
    expect(rows[0]!.d).not.toContain(SECRET);

    const backup = new ConfigBackup({ store, client: s3.client, location: s3.location, checkIntervalMs: 60_000, registry: new Registry() });
    backup.start();
    await waitFor(() => backup.backedUpVersion === 1, 'version 1 in S3');
    await backup.stop();
    const object = await s3.client.send(new GetObjectCommand({ Bucket: 'secrets-backup', Key: 'gh/versions/1.json' }));
    const backedUp = Buffer.from(await object.Body!.transformToByteArray());
    expect(backedUp.includes('$enc:v1:k1:')).toBe(true);
    expect(backedUp.includes(SECRET)).toBe(false);

    const log = pino({ level: 'silent' });
    const plugins = createPluginRegistry();
    const dataPlane = new DataPlane({ log, compilation: new SnapshotCompiler(), plugins, secrets: createSecretResolver({ checker: plugins.checker, keyring, log }) });
    const lastKnownGoodFile = join(dir, 'last-known-good.json');
    const sync = new ConfigSync({ sink: dataPlane, store, lastKnownGoodFile, pollIntervalMs: 60_000, startWithoutConfig: false, dropGuardPercent: 50, logger: log, registry: new Registry() });
    await sync.start();
    await waitFor(async () => (await readFile(lastKnownGoodFile).catch(() => undefined))?.includes('$enc:v1:k1:'), 'the last-known-good file');
    const lkg = await readFile(lastKnownGoodFile);
    expect(lkg.includes(SECRET)).toBe(false);

    const snapshot = dataPlane.snapshot!;
    const jwt = createSigner({ key: SECRET, algorithm: 'HS256' })({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 });
    const ctx = fakeContext(snapshot.config, { path: '/api/x', headers: { authorization: `Bearer ${jwt}` } });
    expect(await decide(snapshot.match('GET', undefined, '/api/x', {})!.route.plugins, ctx)).toBeUndefined();
    expect(ctx.consumer?.id).toBe('alice');
    await sync.stop();
    await dataPlane.close();
  });
});
