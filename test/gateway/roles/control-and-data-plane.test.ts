/**
 * The `control-plane` and `data-plane` roles wired together: the control plane migrates the store,
 * serves the admin API and backs versions up to S3; a data plane with DATABASE_URL follows the store.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { hashToken, newToken } from '../../../gateway/src/control-plane';
import { readLatestVersion } from '../../../gateway/src/sync';
import { GatehouseError } from '../../../gateway/src/core/errors';
import { startControlPlane, startDataPlane, startNode, type ControlPlaneNode, type DataPlaneNode } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';
import { waitFor } from '../../helpers/control-plane/wait';

describe('control-plane and data-plane roles', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let dir: string;
  let upstream: Server;
  let cp: ControlPlaneNode | undefined;
  let dp: DataPlaneNode | undefined;
  const token = newToken();
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    db = await createTestDatabase('roles');
    s3 = await startS3('roles-backup', 'roles');
    dir = await mkdtemp(join(tmpdir(), 'gh-roles-'));
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    // The AWS SDK's default credential chain reads these; s3rver accepts any signature.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  });
  afterAll(async () => {
    if (dp) {
      for (const p of [...dp.parts].reverse()) await p.close();
      await dp.proxy.close();
      await dp.status?.close();
      await dp.dataPlane.close();
    }
    if (cp) for (const p of [...cp.parts].reverse()) await p.close();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await new Promise((r) => upstream.close(r));
    await s3.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const settingsFor = (role: string, extra: object = {}) =>
    loadSettings(
      {
        role,
        databaseUrl: db.url,
        dataDir: dir,
        accessLog: false,
        s3Bucket: s3.location.bucket,
        s3Prefix: s3.location.prefix,
        s3Endpoint: s3.location.endpoint,
        s3Region: 'us-east-1',
        s3ForcePathStyle: true,
        ...extra,
      },
      {},
    );

  it('refuses to start a control plane without any admin token', async () => {
    const err = (await startControlPlane({ settings: settingsFor('control-plane'), log }).catch((e: unknown) => e)) as GatehouseError;
    expect(err.code).toBe('GW_ERR_SETTINGS_INVALID');
    expect(err.problems[0]!.message).toBe('the control plane has no admin token, so nobody could use its admin API (GATEHOUSE_ADMIN_TOKENS is empty).');
  });

  it('starts a data plane unready when no config exists yet (startWithoutConfig), then follows the control plane', async () => {
    dp = await startDataPlane({ settings: settingsFor('data-plane', { pollIntervalMs: 200, startWithoutConfig: true }), log });
    let ready = await dp.status!.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'not-ready', reason: 'no config loaded yet' });

    cp = await startControlPlane({ settings: settingsFor('control-plane', { adminTokens: `admin:${hashToken(token)}` }), log });
    // Its readiness is its store's: checked at start, so it is ready as soon as it is built.
    expect((await cp.status.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    expect((await cp.status.inject({ url: '/metrics' })).body).toMatch(/^gatehouse_config_store_up 1$/m);
    const port = (upstream.address() as { port: number }).port;
    const res = await cp.admin.inject({
      method: 'PUT',
      url: '/admin/v1/config',
      headers: { authorization: `Bearer ${token}` },
      payload: { upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port }] }], routes: [{ id: 'hello', paths: ['/hello'], upstream: 'backend' }] },
    });
    expect(res.statusCode).toBe(200);
    await waitFor(async () => {
      const latest = await readLatestVersion(s3.client, s3.location);
      return latest.ok && latest.version.version === 1;
    }, 'the S3 backup of version 1');

    const node = dp;
    await waitFor(async () => (await node.status!.inject({ url: '/readyz' })).statusCode === 200, 'the data plane to load version 1');
    ready = await dp.status!.inject({ url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', version: 1 });
    await dp.proxy.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(dp.proxy.server.address() as { port: number }).port}`;
    const r = await request(`${url}/hello`);
    expect([r.statusCode, await r.body.text()]).toEqual([200, 'ok']);

    const second = await cp.admin.inject({ method: 'PUT', url: '/admin/v1/routes/second', headers: { authorization: `Bearer ${token}` }, payload: { paths: ['/second'], upstream: 'backend' } });
    await waitFor(async () => {
      const s = await request(`${url}/second`);
      await s.body.text();
      return s.statusCode === 200;
    }, 'the data plane to serve the new route');
    expect(second.json().version).toBe(2);
    await waitFor(async () => {
      const latest = await readLatestVersion(s3.client, s3.location);
      return latest.ok && latest.version.version === 2;
    }, 'the S3 backup of version 2');
  });

  it('gives every role the same node shape: main.ts listens on what it has, and stop() closes it all and gives the exit code', async () => {
    const listen = { host: '127.0.0.1', port: 0 };
    const control = await startNode({ settings: settingsFor('control-plane', { adminTokens: `admin:${hashToken(token)}` }), log, entry: __filename });
    expect([control.role, control.proxy, control.dataPlane]).toEqual(['control-plane', undefined, undefined]);
    await control.admin!.listen(listen);
    await control.status!.listen(listen);
    expect(await control.stop()).toBe(0);
    expect([control.admin!.server.listening, control.status!.server.listening]).toEqual([false, false]);

    const data = await startNode({ settings: settingsFor('data-plane', { deregistrationDelayMs: 0 }), log, entry: __filename });
    expect([data.role, data.admin, data.dataPlane?.currentVersion]).toEqual(['data-plane', undefined, 2]);
    await data.proxy!.listen(listen);
    await data.status!.listen(listen);
    expect(await data.stop()).toBe(0);
    expect([data.proxy!.server.listening, data.status!.server.listening]).toEqual([false, false]);
  });

  it('restores the newest S3 backup, with its own number, when a control plane starts on an empty database', async () => {
    const fresh = await createTestDatabase('roles_restore');
    let restored: ControlPlaneNode | undefined;
    try {
      restored = await startControlPlane({ settings: settingsFor('control-plane', { databaseUrl: fresh.url, adminTokens: `admin:${hashToken(token)}` }), log });
      const auth = { authorization: `Bearer ${token}` };
      let res = await restored.admin.inject({ url: '/admin/v1/versions', headers: auth });
      const backup = await readLatestVersion(s3.client, s3.location);
      expect(backup.ok).toBe(true);
      expect(res.json().versions).toEqual([
        expect.objectContaining({
          version: 2,
          author: 'restore',
          checksum: backup.ok ? backup.version.checksum : '',
          // It keeps the time it was first committed, and says when it was restored.
          createdAt: backup.ok ? backup.version.createdAt : '',
          restoredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        }),
      ]);
      res = await restored.admin.inject({ method: 'PUT', url: '/admin/v1/routes/third', headers: auth, payload: { paths: ['/third'], upstream: 'backend' } });
      expect(res.json().version).toBe(3);
    } finally {
      if (restored) for (const p of [...restored.parts].reverse()) await p.close();
      await fresh.drop();
    }
  });
});
