/**
 * A control plane on a fresh deployment: when the store is empty and no S3 backup exists, the
 * initial config file (`GATEHOUSE_INITIAL_CONFIG`) becomes version 1, so the data planes get a first
 * config with no one in the loop. It is imported once: afterwards the admin API owns the config and
 * the file is never read again (unlike the standalone file import, it never makes the API read-only).
 */
import type { Logger } from 'pino';
import { readConfigFile } from '../sync/file-source';
import type { Keyring } from '../config/secrets';
import type { PluginConfigChecker } from '../config/validate';
import { readLatestPointer, s3Client, type S3Location } from '../sync';
import { ConfigService } from './config-service';
import { GatehouseError } from '../core/errors';
import type { GatehouseSettings } from '../settings';
import type { ConfigStore, ConfigVersion } from '../store';

/** Author of the imported version, as the version history shows it. */
export const INITIAL_CONFIG_AUTHOR = 'initial-config';

/** True when the backup location holds a backup; an S3 error is thrown (never imported over a backup it could not see). */
async function backupExists(location: S3Location): Promise<boolean> {
  const client = s3Client(location);
  try {
    return (await readLatestPointer(client, location)) !== undefined;
  } finally {
    client.destroy();
  }
}

/** Imports `file` into an empty store with no S3 backup; returns the new version, or undefined when nothing was done. */
export async function importInitialConfig(
  store: ConfigStore,
  file: string,
  options: { settings: GatehouseSettings; location?: S3Location; plugins?: PluginConfigChecker; keyring?: Keyring; log: Logger },
): Promise<ConfigVersion | undefined> {
  if (await store.head()) return undefined;
  if (options.location && (await backupExists(options.location))) return undefined;
  const { document } = readConfigFile(file);
  // Through the config service like any write: validated, and inline secrets sealed under the keyring.
  const service = new ConfigService(store, { plugins: options.plugins, keyring: options.keyring, dropGuardPercent: options.settings.dropGuardPercent });
  try {
    const outcome = await service.change({ author: INITIAL_CONFIG_AUTHOR, message: `initial config ${file}`, expectedVersion: 0, allowDrop: false, dryRun: false }, () => document);
    if (outcome.dryRun) throw new Error('unreachable');
    options.log.info({ file, version: outcome.version.version }, 'the config store was empty and has no S3 backup: imported the initial config');
    return outcome.version;
  } catch (err) {
    // Another control plane imported it (or wrote a version) first.
    if (err instanceof GatehouseError && err.code === 'GW_ERR_VERSION_CONFLICT') return undefined;
    throw err;
  }
}
