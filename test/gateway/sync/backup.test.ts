import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Registry } from 'prom-client';
import { readLatestVersion } from '../../../gateway/src/sync';
import { ConfigBackup } from '../../../gateway/src/control-plane';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { documentWithRoutes } from '../../helpers/control-plane/documents';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';
import { waitFor } from '../../helpers/control-plane/wait';

const metric = async (registry: Registry, name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;

describe('S3 backup of config versions', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let s3: TestS3;
  let backup: ConfigBackup | undefined;
  const commit = (n: number) => store.commit({ author: 'test', build: () => ({ document: documentWithRoutes(n) }) });

  beforeAll(async () => {
    db = await createTestDatabase('backup');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    s3 = await startS3('backup-test', 'gh/prod');
  });
  afterAll(async () => {
    await backup?.stop();
    await store.close();
    await s3.close();
    await db.drop();
  });

  it('writes every version and the latest pointer, retries while S3 is down and exports the lag', async () => {
    const registry = new Registry();
    backup = new ConfigBackup({ store, client: s3.client, location: s3.location, checkIntervalMs: 60_000, retryBaseMs: 50, retryMaxMs: 200, registry });
    await commit(1);
    await commit(2);
    backup.start();
    await waitFor(() => backup!.backedUpVersion === 2, 'versions 1 and 2 in S3');
    for (const n of [1, 2]) {
      const obj = await s3.client.send(new GetObjectCommand({ Bucket: 'backup-test', Key: `gh/prod/versions/${n}.json` }));
      expect(JSON.parse(await obj.Body!.transformToString())).toMatchObject({ version: n, routeCount: n });
    }
    const latest = await s3.client.send(new GetObjectCommand({ Bucket: 'backup-test', Key: 'gh/prod/latest' }));
    expect(JSON.parse(await latest.Body!.transformToString())).toEqual({ version: 2, checksum: (await store.head())!.checksum, key: 'gh/prod/versions/2.json' });
    expect(await metric(registry, 'gatehouse_config_backup_lag_versions')).toBe(0);

    await s3.stop();
    await commit(3);
    await commit(4);
    backup.trigger();
    await waitFor(async () => (await metric(registry, 'gatehouse_config_backup_lag_versions')) === 2, 'a backup lag of 2 versions');
    await waitFor(async () => ((await registry.getSingleMetric('gatehouse_config_backup_failures_total')!.get()).values[0]?.value ?? 0) >= 2, 'retries');
    expect(await metric(registry, 'gatehouse_config_backup_lag_seconds')).toBeGreaterThanOrEqual(0);

    await s3.start();
    await waitFor(() => backup!.backedUpVersion === 4, 'the backup to catch up after S3 is back');
    expect(await metric(registry, 'gatehouse_config_backup_lag_versions')).toBe(0);
    const read = await readLatestVersion(s3.client, s3.location);
    expect(read.ok && read.version).toMatchObject({ version: 4, routeCount: 4 });
  });

  it('tells the true lag across a control-plane restart while S3 is down, keeps the age growing, and catches up within one check interval of S3 returning', async () => {
    // The first instance backs up what there is, then stops (a control-plane restart).
    const first = new ConfigBackup({ store, client: s3.client, location: s3.location, checkIntervalMs: 60_000, registry: new Registry() });
    first.start();
    const head = (await store.head())!.version;
    await waitFor(() => first.backedUpVersion === head, 'the first instance to back up the head');
    await first.stop();
    await backup?.stop();

    await s3.stop();
    await commit(7);
    const registry = new Registry();
    // A backoff far above the check interval: catching up must not wait it out.
    backup = new ConfigBackup({ store, client: s3.client, location: s3.location, checkIntervalMs: 200, retryBaseMs: 60_000, retryMaxMs: 60_000, registry });
    backup.start();
    await waitFor(async () => ((await registry.getSingleMetric('gatehouse_config_backup_failures_total')!.get()).values[0]?.value ?? 0) >= 1, 'a failed attempt');
    expect(await metric(registry, 'gatehouse_config_backup_lag_versions')).toBe(1);
    const age = (await metric(registry, 'gatehouse_config_backup_lag_seconds'))!;
    expect(age).toBeGreaterThan(0);
    await waitFor(async () => (await metric(registry, 'gatehouse_config_backup_lag_seconds'))! > age, 'the lag age to keep growing while S3 is down');

    await s3.start();
    await waitFor(async () => (await metric(registry, 'gatehouse_config_backup_lag_versions')) === 0, 'the backup to catch up after S3 is back');
    expect(backup.backedUpVersion).toBe(head + 1);
    expect(await metric(registry, 'gatehouse_config_backup_lag_seconds')).toBe(0);
  });
});
