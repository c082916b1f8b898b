/**
 * The fleet view across a control plane and three data planes: one on the primary, one that reaches
 * only a streaming read replica (as a secondary region does) and writes its heartbeat to the
 * primary's bucket, and one run as a process and killed to show it going quiet. Heartbeats travel
 * through a local S3 server with the real AWS SDK.
 */
import pino from 'pino';
import { Client } from 'pg';
import { hashToken, newToken } from '../../../gateway/src/control-plane';
import { GATEWAY_VERSION } from '../../../gateway/src/core';
import { startControlPlane, startDataPlane, type ControlPlaneNode, type DataPlaneNode } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../../helpers/postgres-replication';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';
import { waitFor } from '../../helpers/control-plane/wait';
import { spawnGateway, within, type GatewayChild } from '../../../support/gateway-process';

const DB = 'fleet';
const HEARTBEAT_MS = 250;
const QUIET_AFTER_MS = 3_000;
const LAG_AFTER_MS = 1_000;

describe('fleet view (GET /admin/v1/nodes)', () => {
  let pg: ReplicatedPostgres;
  let s3: TestS3;
  let cp: ControlPlaneNode;
  const dps: DataPlaneNode[] = [];
  let killed: GatewayChild;
  const token = newToken();
  const log = pino({ level: 'silent' });

  const common = () => ({
    s3Endpoint: s3.location.endpoint,
    s3ForcePathStyle: true,
    heartbeatBucket: s3.location.bucket,
    heartbeatRegion: 'us-east-1',
    heartbeatIntervalMs: HEARTBEAT_MS,
    accessLog: false,
  });

  beforeAll(async () => {
    [pg, s3] = await Promise.all([startReplicatedPostgres([DB]), startS3('fleet-primary-backup', 'gatehouse')]);
    // The AWS SDK's default credential chain reads these; s3rver accepts any signature.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  }, 120_000);

  afterAll(async () => {
    killed?.kill();
    await killed?.exited;
    for (const dp of dps) {
      for (const p of [...dp.parts].reverse()) await p.close();
      await dp.dataPlane.close();
    }
    if (cp) for (const p of [...cp.parts].reverse()) await p.close();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await s3?.close();
    await pg?.destroy();
  });

  const nodes = async () => {
    const res = await cp.admin.inject({ url: '/admin/v1/nodes', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    return res.json() as { nodes: Record<string, unknown>[]; configVersion: number };
  };
  const byId = async () => {
    const fleet = await nodes();
    return { configVersion: fleet.configVersion, nodes: Object.fromEntries(fleet.nodes.map((n) => [n.id as string, n])) };
  };
  it('lists every data plane with its version, source and state; a replica-only node lags while replay is paused; a killed node goes quiet', async () => {
    cp = await startControlPlane({
      settings: loadSettings(
        { role: 'control-plane', databaseUrl: pg.primary.url(DB), adminTokens: `viewer:${hashToken(token)}`, fleetQuietAfterMs: QUIET_AFTER_MS, fleetLagAfterMs: LAG_AFTER_MS, ...common(), dataDir: '/tmp' },
        {},
      ),
      log,
    });
    // The viewer token cannot write; a second (admin) control plane token writes the config.
    const adminToken = newToken();
    const writer = await startControlPlane({
      settings: loadSettings({ role: 'control-plane', databaseUrl: pg.primary.url(DB), adminTokens: `admin:${hashToken(adminToken)}`, dataDir: '/tmp' }, {}),
      log,
    });
    const put = await writer.admin.inject({
      method: 'PUT',
      url: '/admin/v1/config',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: { upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port: 9 }] }], routes: [{ id: 'first', paths: ['/first'], upstream: 'backend' }] },
    });
    expect(put.statusCode).toBe(200);
    const v1 = put.json() as { version: number; checksum: string };
    // A version written now carries its digest; the fleet view reports it as the data planes run it.
    expect(v1.checksum).toMatch(/^sum256:[0-9a-f]{64}$/);
    await pg.caughtUp();

    const dataPlane = async (id: string, databaseUrl: string, extra: object) => {
      const dir = `/tmp/gh-fleet-${id}-${process.pid}`;
      const dp = await startDataPlane({ settings: loadSettings({ role: 'data-plane', nodeId: id, databaseUrl, dataDir: dir, pollIntervalMs: 200, ...common(), ...extra }, {}), log });
      dps.push(dp);
    };
    await dataPlane('primary-1', pg.primary.url(DB), { region: 'us-east-1' });
    // A secondary region: the replica for config (no LISTEN there), the primary's bucket for heartbeats.
    await dataPlane('secondary-1', `${pg.replica.url(DB)}`, { region: 'eu-west-1', configPush: false });
    killed = spawnGateway({ env: {
      GATEHOUSE_ROLE: 'data-plane',
      GATEHOUSE_NODE_ID: 'primary-2',
      GATEHOUSE_REGION: 'us-east-1',
      DATABASE_URL: pg.primary.url(DB),
      GATEHOUSE_DATA_DIR: `/tmp/gh-fleet-primary-2-${process.pid}`,
      GATEHOUSE_PROXY_PORT: '0',
      GATEHOUSE_STATUS_PORT: '0',
      GATEHOUSE_ACCESS_LOG: 'false',
      GATEHOUSE_HEARTBEAT_BUCKET: s3.location.bucket,
      GATEHOUSE_HEARTBEAT_REGION: 'us-east-1',
      GATEHOUSE_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
      GATEHOUSE_S3_ENDPOINT: s3.location.endpoint!,
      GATEHOUSE_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    } });
    await within(killed.started, 60_000, `the data plane process to start (stderr: ${killed.stderr})`);

    await waitFor(async () => (await nodes()).nodes.length === 3, 'three heartbeats');
    let fleet = await byId();
    expect(fleet.configVersion).toBe(v1.version);
    expect(Object.keys(fleet.nodes).sort()).toEqual(['primary-1', 'primary-2', 'secondary-1']);
    const secondary = fleet.nodes['secondary-1']!;
    expect(secondary).toEqual({
      id: 'secondary-1',
      region: 'eu-west-1',
      role: 'data-plane',
      gatewayVersion: GATEWAY_VERSION,
      configVersion: v1.version,
      checksum: v1.checksum,
      source: 'store',
      lastSyncAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastSeenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      state: 'ok',
      errors: [],
    });
    expect(GATEWAY_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    for (const n of Object.values(fleet.nodes)) expect([n.state, n.configVersion, n.source]).toEqual(['ok', v1.version, 'store']);

    // Replica lag: pause WAL replay, write version 2; the secondary keeps version 1 and is marked lagging.
    const replica = new Client({ connectionString: pg.replica.url('postgres') });
    await replica.connect();
    try {
      await replica.query('SELECT pg_wal_replay_pause()');
      const v2 = await (async () => {
        const res = await writer.admin.inject({ method: 'PUT', url: '/admin/v1/routes/second', headers: { authorization: `Bearer ${adminToken}` }, payload: { paths: ['/second'], upstream: 'backend' } });
        expect(res.statusCode).toBe(201);
        return res.json() as { version: number };
      })();
      await waitFor(async () => {
        const f = await byId();
        return f.nodes['secondary-1']?.state === 'lagging' && f.nodes['primary-1']?.configVersion === v2.version;
      }, 'the secondary to be marked lagging');
      fleet = await byId();
      expect(fleet.configVersion).toBe(v2.version);
      expect([fleet.nodes['secondary-1']!.configVersion, fleet.nodes['primary-1']!.state]).toEqual([v1.version, 'ok']);
      const metrics = (await cp.status.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/^gatehouse_fleet_nodes\{state="lagging"\} 1$/m);

      await replica.query('SELECT pg_wal_replay_resume()');
      await waitFor(async () => (await byId()).nodes['secondary-1']?.state === 'ok', 'the secondary to catch up');
      expect((await byId()).nodes['secondary-1']!.configVersion).toBe(v2.version);
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
      await replica.end();
    }

    // A killed node writes no last heartbeat: it goes quiet, and the control plane counts it.
    killed.kill();
    await killed.exited;
    await waitFor(async () => (await byId()).nodes['primary-2']?.state === 'quiet', 'the killed node to go quiet', 20_000);
    const metrics = (await cp.status.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^gatehouse_fleet_nodes\{state="quiet"\} 1$/m);
    expect(metrics).toMatch(/^gatehouse_fleet_nodes\{state="ok"\} 2$/m);

    // A node stopped cleanly writes a last heartbeat marked stopped and leaves the view at once.
    const stopped = dps.shift()!;
    for (const p of [...stopped.parts].reverse()) await p.close();
    await stopped.dataPlane.close();
    await waitFor(async () => !('primary-1' in (await byId()).nodes), 'the stopped node to leave the view');
    expect(Object.keys((await byId()).nodes).sort()).toEqual(['primary-2', 'secondary-1']);

    for (const p of [...writer.parts].reverse()) await p.close();
  }, 180_000);

  it('answers 409 naming the setting when the control plane has no heartbeat bucket', async () => {
    const bare = await startControlPlane({
      settings: loadSettings({ role: 'control-plane', databaseUrl: pg.primary.url(DB), adminTokens: `viewer:${hashToken(token)}`, dataDir: '/tmp' }, {}),
      log,
    });
    try {
      const res = await bare.admin.inject({ url: '/admin/v1/nodes', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('GW_ERR_FLEET_NOT_CONFIGURED');
      expect(res.json().error.message).toContain('GATEHOUSE_HEARTBEAT_BUCKET');
    } finally {
      for (const p of [...bare.parts].reverse()) await p.close();
    }
  });

  it('needs a token like every admin route', async () => {
    const res = await cp.admin.inject({ url: '/admin/v1/nodes' });
    expect(res.statusCode).toBe(401);
  });
});
