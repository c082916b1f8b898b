/**
 * `gatehouse apply --via s3://…` end to end: the CLI (a child process, real AWS SDK) writes requests
 * to a local S3 server (s3rver), a real control plane (PostgreSQL) picks them up and applies them
 * through the same path as the admin API, and the CLI prints the durable result: a diff and the new
 * version, or the refusal (here the drop guard) with nothing written. `gatehouse status` then shows a
 * data plane's heartbeat from the same bucket (the fleet view, GET /admin/v1/nodes).
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { hashToken, newToken } from '../../../gateway/src/control-plane';
import { createPluginRegistry } from '../../../gateway/src/plugins';
import { startControlPlane, startDataPlane, type ControlPlaneNode, type DataPlaneNode } from '../../../gateway/src/roles';
import { waitFor } from '../../helpers/control-plane/wait';
import { loadSettings } from '../../../gateway/src/settings';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';
import { gatehouse } from './run-cli';

describe('gatehouse apply --via s3', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let cp: ControlPlaneNode;
  let dp: DataPlaneNode | undefined;
  const token = newToken();
  let store: ConfigStore;
  let dir: string;
  let env: Record<string, string>;
  const doc = (ids: string[]) => ({ upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port: 9001 }] }], routes: ids.map((id) => ({ id, paths: [`/${id}`], upstream: 'backend' })) });

  const heartbeats = () => ({ heartbeatBucket: 'gatehouse-backup', heartbeatRegion: 'us-east-1', heartbeatIntervalMs: 250, accessLog: false });

  beforeAll(async () => {
    db = await createTestDatabase('cli_s3');
    s3 = await startS3('gatehouse-backup', 'gatehouse');
    dir = await mkdtemp(join(tmpdir(), 'gh-cli-s3-'));
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    const settings = loadSettings(
      { databaseUrl: db.url, dataDir: dir, adminTokens: `viewer:${hashToken(token)}`, ...heartbeats(), s3Bucket: 'gatehouse-backup', s3Prefix: 'gatehouse', s3Region: 'us-east-1', s3Endpoint: s3.location.endpoint, s3ForcePathStyle: true },
      {},
    );
    cp = await startControlPlane({ settings, log: pino({ level: 'silent' }), plugins: createPluginRegistry() });
    await cp.admin.listen({ host: '127.0.0.1', port: 0 });
    await writeFile(join(dir, 'token'), token);
    store = await openConfigStore({ databaseUrl: db.url, migrate: false });
    // The SDK's notice about Node 20 support would be on stderr, which the tests compare exactly.
    env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', GATEHOUSE_S3_ENDPOINT: s3.location.endpoint!, GATEHOUSE_S3_FORCE_PATH_STYLE: 'true', GATEHOUSE_DEPLOY_AUTHOR: 'arn:aws:sts::123456789012:assumed-role/gatehouse-config-deployer/ci' };
  });
  afterAll(async () => {
    if (dp) {
      for (const part of [...dp.parts].reverse()) await part.close();
      await dp.dataPlane.close();
    }
    for (const part of [...cp.parts].reverse()) await part.close();
    await cp.status.close();
    await store.close();
    await s3.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  it('applies a document, recording the deployer as author, and leaves a durable result', async () => {
    await writeFile(join(dir, 'a.yaml'), stringify(doc(['a', 'b', 'c'])));
    const run = await gatehouse(['apply', join(dir, 'a.yaml'), '--via', 's3://gatehouse-backup/gatehouse', '--message', 'from CI'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('version 0 → files (via s3): routes +3 ~0 -0, upstreams +1 ~0 -0\n');
    expect(run.stdout).toMatch(/applied: version 1\n$/);
    expect(await store.head()).toMatchObject({ version: 1, message: 'from CI', author: 's3-deploy:arn:aws:sts::123456789012:assumed-role/gatehouse-config-deployer/ci' });
    const objects = await s3.client.send(new ListObjectsV2Command({ Bucket: 'gatehouse-backup', Prefix: 'gatehouse/deploy/' }));
    const keys = (objects.Contents ?? []).map((o) => o.Key!);
    // Two results (the dry run and the write); every request was deleted once answered.
    expect(keys.filter((k) => k.startsWith('gatehouse/deploy/results/'))).toHaveLength(2);
    expect(keys.filter((k) => k.startsWith('gatehouse/deploy/requests/'))).toEqual([]);
  });

  it('reports a refusal (the drop guard) and writes nothing', async () => {
    await writeFile(join(dir, 'drop.yaml'), stringify(doc(['a'])));
    const run = await gatehouse(['apply', join(dir, 'drop.yaml'), '--via', 's3://gatehouse-backup/gatehouse'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'gatehouse: GW_ERR_CONFIG_DROP: This change removes most (or all) routes; if that is intended, retry with ?allowDrop=true. The new version would be refused by data planes: it drops 2 of 3 routes (67% > 50%). Nothing was applied; pass --allow-drop if the drop is intended.\n',
    );
    expect((await store.head())!.version).toBe(1);
  });

  it('status shows the config version each data plane runs, from its heartbeat', async () => {
    dp = await startDataPlane({
      settings: loadSettings({ role: 'data-plane', nodeId: 'dp-1', region: 'us-east-1', databaseUrl: db.url, dataDir: join(dir, 'dp'), pollIntervalMs: 200, s3Endpoint: s3.location.endpoint, s3ForcePathStyle: true, ...heartbeats() }, {}),
      log: pino({ level: 'silent' }),
    });
    const cli = { GATEHOUSE_ADMIN_URL: `http://127.0.0.1:${(cp.admin.server.address() as { port: number }).port}`, GATEHOUSE_ADMIN_TOKEN_FILE: join(dir, 'token') };
    let run = { code: -1, stdout: '', stderr: '' };
    await waitFor(async () => {
      run = await gatehouse(['status'], cli);
      return run.code === 0 && run.stdout.includes('dp-1');
    }, 'the data plane to report version 1 in status');
    const [summary, header, row] = run.stdout.split('\n');
    expect(summary).toBe('current config version 1; 1 node(s), 0 not ok');
    expect(header).toMatch(/^NODE\s+REGION\s+ROLE\s+VERSION\s+STATE\s+SOURCE\s+LAST SYNC\s+ERRORS$/);
    expect(row).toMatch(/^dp-1\s+us-east-1\s+data-plane\s+1\s+ok\s+\S+\s+\S+\s+0$/);
  });
});
