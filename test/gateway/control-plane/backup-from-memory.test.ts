/**
 * The backup of a version this control plane just committed is uploaded from memory: it is not
 * assembled from the store (a version stored as a change set would cost a whole parse and
 * serialisation on the control plane's event loop), and what lands in S3 is the same whole version.
 */
import { Registry } from 'prom-client';
import { actualChecksum } from '../../../gateway/src/core/version-checksum';
import { readLatestVersion } from '../../../gateway/src/sync';
import { ConfigBackup, ConfigService } from '../../../gateway/src/control-plane';
import { openConfigStore, type ConfigStore, type ConfigVersion } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { documentWithRoutes } from '../../helpers/control-plane/documents';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';
import { waitFor } from '../../helpers/control-plane/wait';

describe('the backup of a version committed by this control plane', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let s3: TestS3;
  beforeAll(async () => {
    db = await createTestDatabase('backup_memory');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    s3 = await startS3('backup-memory', 'gh/prod');
  });
  afterAll(async () => {
    await store.close();
    await s3.close();
    await db.drop();
  });

  it('uploads it without reading it back from the store, whole and matching its checksum', async () => {
    const gets: number[] = [];
    const counted = Object.create(store) as ConfigStore;
    counted.get = (n: number) => {
      gets.push(n);
      return store.get(n);
    };
    const backup = new ConfigBackup({ store: counted, client: s3.client, location: s3.location, checkIntervalMs: 60_000, registry: new Registry() });
    let last: ConfigVersion | undefined;
    const service = new ConfigService(store, {
      dropGuardPercent: 50,
      onCommit: (v) => {
        last = v;
        backup.trigger(v);
      },
    });
    await service.change({ author: 'test', allowDrop: false, dryRun: false }, () => documentWithRoutes(3));
    await waitFor(() => backup.backedUpVersion === 1, 'version 1 in S3');
    await service.change({ author: 'test', allowDrop: false, dryRun: false }, (doc) => ({ ...doc, routes: [...doc.routes, { id: 'n', paths: ['/n'], upstream: 'backend' }] }));
    await waitFor(() => backup.backedUpVersion === 2, 'version 2 in S3');
    await backup.stop();
    expect(gets).toEqual([]);
    const latest = await readLatestVersion(s3.client, s3.location);
    if (!latest.ok) throw new Error(latest.reason);
    expect(latest.version.version).toBe(2);
    expect(latest.version.document).toEqual(last!.document);
    expect(actualChecksum(latest.version)).toBe(last!.checksum);
    expect(latest.version.document).toEqual((await store.get(2))!.document);
  });
});
