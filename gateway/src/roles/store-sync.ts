/**
 * Feeds a data-plane node from the config store: push (LISTEN) + pull (poll), the last-known-good
 * file and the S3 backup as cold-start fallbacks. Reads only, so data planes run with read-only
 * database credentials.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigSync, s3Client, type S3Location, type StartResult } from '../sync';
import type { GatehouseSettings } from '../settings';
import type { ConfigStore } from '../store';
import type { DataPlaneNode } from './node';

/** The S3 backup location from the settings, or undefined when no bucket is set. */
export function s3LocationFrom(settings: GatehouseSettings): S3Location | undefined {
  if (!settings.s3Bucket) return undefined;
  return { bucket: settings.s3Bucket, prefix: settings.s3Prefix, region: settings.s3Region, endpoint: settings.s3Endpoint, forcePathStyle: settings.s3ForcePathStyle };
}

/** Where the last-known-good file lives. */
export function lastKnownGoodPath(settings: GatehouseSettings): string {
  return settings.lastKnownGoodFile ?? join(settings.dataDir, 'last-known-good.json');
}

export interface StoreSyncOptions {
  settings: GatehouseSettings;
  log: Logger;
  registry: Registry;
  startWithoutConfig?: boolean;
}

/** Starts a sync loop into `node`; it is closed with the node's parts. */
export async function attachStoreSync(node: DataPlaneNode, store: ConfigStore, options: StoreSyncOptions): Promise<{ sync: ConfigSync; started: StartResult }> {
  const { settings } = options;
  const location = s3LocationFrom(settings);
  const client = location && s3Client(location);
  const sync = new ConfigSync({
    sink: node.dataPlane,
    store,
    lastKnownGoodFile: lastKnownGoodPath(settings),
    s3: client && location ? { client, location } : undefined,
    pollIntervalMs: settings.pollIntervalMs,
    push: settings.configPush,
    incremental: settings.configSync === 'incremental',
    startWithoutConfig: options.startWithoutConfig ?? settings.startWithoutConfig,
    dropGuardPercent: settings.dropGuardPercent,
    logger: options.log.child({ part: 'config-sync' }),
    registry: options.registry,
  });
  const started = await sync.start();
  node.parts.push({
    close: async () => {
      await sync.stop();
      client?.destroy();
    },
  });
  return { sync, started };
}
