/**
 * A control plane that starts on an empty database (a new region's promoted replica that lost its
 * data, a rebuilt database) restores the newest S3 backup as its first version, with the backup's own
 * number and checksum. Data planes already running that version see nothing change, and the next
 * write continues the numbering above it, so no data plane ever has to go backwards.
 */
import type { Logger } from 'pino';
import { readLatestVersion, s3Client, type S3Location } from '../sync';
import { GatehouseError } from '../core/errors';
import type { ConfigStore, ConfigVersion } from '../store';

/** Restores the S3 latest into an empty store; returns the restored version, or undefined when nothing was done. */
export async function restoreEmptyStoreFromS3(store: ConfigStore, location: S3Location, log: Logger): Promise<ConfigVersion | undefined> {
  if (await store.head()) return undefined;
  const client = s3Client(location);
  try {
    const latest = await readLatestVersion(client, location);
    if (!latest.ok) {
      log.warn({ reason: latest.reason }, 'the config store is empty and no S3 backup could be restored');
      return undefined;
    }
    const backup = latest.version;
    const restored = await store.commit({
      author: 'restore',
      message: `restored from s3://${location.bucket}/${location.prefix} version ${backup.version} (${backup.author}: ${backup.message})`.slice(0, 1024),
      version: backup.version,
      // The version keeps the time it was first committed; the store records the restore time as restoredAt.
      createdAt: Number.isFinite(Date.parse(backup.createdAt)) ? backup.createdAt : undefined,
      checksum: backup.checksum,
      expectedVersion: 0,
      build: () => ({ document: backup.document, intendedDrop: backup.intendedDrop }),
    });
    log.warn({ version: restored.version, checksum: restored.checksum }, 'the config store was empty: restored the newest S3 backup');
    return restored;
  } catch (err) {
    // Another control plane restored it first.
    if (err instanceof GatehouseError && err.code === 'GW_ERR_VERSION_CONFLICT') return undefined;
    throw err;
  } finally {
    client.destroy();
  }
}
