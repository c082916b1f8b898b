/**
 * `gatehouse apply --via s3://…` end to end: the CLI (a child process, real AWS SDK) writes requests
 * to a local S3 server (s3rver), a real control plane (PostgreSQL) picks them up and applies them
 * through the same path as the admin API, and the CLI prints the durable result: a diff and the new
 * version, or the refusal (here the drop guard) with nothing written.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { hashToken, newToken } from '../../../gateway/src/control-plane';
import { createPluginRegistry } from '../../../gateway/src/plugins';
import { startControlPlane, type ControlPlaneNode } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';
import { gatehouse } from './run-cli';

describe('gatehouse apply --via s3', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let cp: ControlPlaneNode;
  let store: ConfigStore;
  let dir: string;
  let env: Record<string, string>;
  const doc = (ids: string[]) => ({ upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port: 9001 }] }], routes: ids.map((id) => ({ id, paths: [`/${id}`], upstream: 'backend' })) });

  beforeAll(async () => {
    db = await createTestDatabase('cli_s3');
    s3 = await startS3('gatehouse-backup', 'gatehouse');
    dir = await mkdtemp(join(tmpdir(), 'gh-cli-s3-'));
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    const settings = loadSettings(
      { databaseUrl: db.url, dataDir: dir, adminTokens: `admin:${hashToken(newToken())}`, s3Bucket: 'gatehouse-backup', s3Prefix: 'gatehouse', s3Region: 'us-east-1', s3Endpoint: s3.location.endpoint, s3ForcePathStyle: true },
      {},
    );
    cp = await startControlPlane({ settings, log: pino({ level: 'silent' }), plugins: createPluginRegistry() });
    store = await openConfigStore({ databaseUrl: db.url, migrate: false });
    // The SDK's notice about Node 20 support would be on stderr, which the tests compare exactly.
    env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', GATEHOUSE_S3_ENDPOINT: s3.location.endpoint!, GATEHOUSE_S3_FORCE_PATH_STYLE: 'true', GATEHOUSE_DEPLOY_AUTHOR: 'arn:aws:sts::123456789012:assumed-role/gatehouse-config-deployer/ci' };
  });
  afterAll(async () => {
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
});
