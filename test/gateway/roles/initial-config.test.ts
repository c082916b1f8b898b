/**
 * The control plane's initial config (GATEHOUSE_INITIAL_CONFIG): imported once as version 1 into an
 * empty store when the S3 backup has none, never over a backup, never again, and the admin API
 * stays writable. Real PostgreSQL and a local S3 server.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { hashToken, newToken } from '../../../gateway/src/control-plane';
import { readLatestVersion } from '../../../gateway/src/sync';
import { startControlPlane, type ControlPlaneNode } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';
import { openConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';
import { waitFor } from '../../helpers/control-plane/wait';

const INITIAL = `
upstreams:
  - id: backend
    targets: [{ host: 127.0.0.1, port: 9 }]
routes:
  - id: first
    paths: [/first]
    upstream: backend
`;

describe('control plane: the initial config file', () => {
  const token = newToken();
  const log = pino({ level: 'silent' });
  const opened: ControlPlaneNode[] = [];
  const databases: TestDatabase[] = [];
  let s3: TestS3;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    s3 = await startS3('initial-backup', 'initial');
    dir = await mkdtemp(join(tmpdir(), 'gh-initial-'));
    file = join(dir, 'initial.yaml');
    await writeFile(file, INITIAL);
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  });
  afterAll(async () => {
    for (const cp of opened) for (const p of [...cp.parts].reverse()) await p.close();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    for (const db of databases) await db.drop();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(db: TestDatabase, prefix: string): Promise<ControlPlaneNode> {
    const settings = loadSettings(
      {
        role: 'control-plane',
        databaseUrl: db.url,
        dataDir: dir,
        adminTokens: `admin:${hashToken(token)}`,
        initialConfigFile: file,
        s3Bucket: s3.location.bucket,
        s3Prefix: prefix,
        s3Endpoint: s3.location.endpoint,
        s3Region: 'us-east-1',
        s3ForcePathStyle: true,
      },
      {},
    );
    const cp = await startControlPlane({ settings, log });
    opened.push(cp);
    return cp;
  }
  const fresh = async (label: string) => {
    const db = await createTestDatabase(label);
    databases.push(db);
    return db;
  };
  const head = async (db: TestDatabase) => {
    const store = await openConfigStore({ databaseUrl: db.url, migrate: false });
    try {
      return await store.head();
    } finally {
      await store.close();
    }
  };

  test('an empty store with no backup gets the file as version 1, by author initial-config', async () => {
    const db = await fresh('initial_empty');
    await start(db, 'empty');
    expect(await head(db)).toMatchObject({ version: 1, author: 'initial-config' });
  });

  test('the admin API stays writable after the import, and a restart does not import again', async () => {
    const db = await fresh('initial_writable');
    const cp = await start(db, 'writable');
    const res = await cp.admin.inject({
      method: 'PUT',
      url: '/admin/v1/routes/second',
      headers: { authorization: `Bearer ${token}` },
      payload: { paths: ['/second'], upstream: 'backend' },
    });
    expect(res.statusCode).toBe(201);
    await start(db, 'writable');
    expect(await head(db)).toMatchObject({ version: 2, author: expect.not.stringMatching('initial-config') });
  });

  test('an empty store with an S3 backup restores the backup and ignores the file', async () => {
    const first = await fresh('initial_backup_a');
    const cp = await start(first, 'backed-up');
    await cp.admin.inject({ method: 'PUT', url: '/admin/v1/routes/second', headers: { authorization: `Bearer ${token}` }, payload: { paths: ['/second'], upstream: 'backend' } });
    await waitFor(async () => {
      const latest = await readLatestVersion(s3.client, { ...s3.location, prefix: 'backed-up' });
      return latest.ok && latest.version.version === 2;
    }, 'the S3 backup of version 2');
    const second = await fresh('initial_backup_b');
    await start(second, 'backed-up');
    expect(await head(second)).toMatchObject({ version: 2, author: 'restore' });
  });
});
