/**
 * The fleet view's two ends from the settings: a data plane's heartbeat writer (fed by its config
 * sync) and the control plane's reader. Both use the heartbeat bucket (default: the backup bucket),
 * which is the primary region's, so secondary-region data planes write across regions.
 */
import cluster from 'node:cluster';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { GATEWAY_VERSION } from '../core/version';
import { GatehouseError } from '../core/errors';
import { FleetView } from '../control-plane';
import { envName, type GatehouseSettings } from '../settings';
import type { ConfigStore } from '../store';
import { HeartbeatWriter, NODE_ID_PATTERN, s3Client, type ConfigSync, type HeartbeatLocation } from '../sync';
import type { Closable } from './node';

/** The heartbeat bucket and a client for it, or undefined when no bucket is set. */
function heartbeatLocation(settings: GatehouseSettings): { location: HeartbeatLocation; close(): void } | undefined {
  const bucket = settings.heartbeatBucket ?? settings.s3Bucket;
  if (!bucket) return undefined;
  const client = s3Client({
    bucket,
    prefix: settings.heartbeatPrefix,
    region: settings.heartbeatRegion ?? settings.s3Region,
    endpoint: settings.s3Endpoint,
    forcePathStyle: settings.s3ForcePathStyle,
  });
  return { location: { client, bucket, prefix: settings.heartbeatPrefix }, close: () => client.destroy() };
}

/** This node's id in the fleet view: the setting, else the host name made safe for a key. */
export function nodeIdFrom(settings: GatehouseSettings): string {
  if (settings.nodeId) return settings.nodeId;
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
  if (!NODE_ID_PATTERN.test(host))
    throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
      { path: '/settings/nodeId', message: `the host name "${hostname()}" cannot name this node in the fleet view.`, fix: `set ${envName('nodeId')} to a name of letters, digits, ".", "_" and "-".` },
    ]);
  return host;
}

/** Starts writing a data plane's heartbeats (when a bucket is set and the interval is not 0); closed at shutdown with a last beat. */
export function startHeartbeat(sync: ConfigSync, settings: GatehouseSettings, log: Logger): Closable | undefined {
  const where = heartbeatLocation(settings);
  if (!where) return undefined;
  if (settings.heartbeatIntervalMs === 0) {
    where.close();
    return undefined;
  }
  // Each cluster worker runs its own sync, so each reports for itself.
  const id = cluster.worker ? `${nodeIdFrom(settings)}.w${cluster.worker.id}`.slice(-128) : nodeIdFrom(settings);
  const region = settings.region ?? process.env.AWS_REGION ?? '';
  const writer = new HeartbeatWriter({
    location: where.location,
    intervalMs: settings.heartbeatIntervalMs,
    logger: log.child({ part: 'heartbeat' }),
    state: () => {
      const running = sync.current;
      const health = sync.health;
      return {
        id,
        region,
        role: settings.role,
        gatewayVersion: GATEWAY_VERSION,
        configVersion: running?.version ?? 0,
        checksum: running?.checksum ?? null,
        source: running?.source ?? null,
        lastSyncAt: health.lastSyncAt === undefined ? null : new Date(health.lastSyncAt).toISOString(),
        errors: [...health.errors],
      };
    },
  });
  writer.start();
  return {
    close: async () => {
      await writer.close();
      where.close();
    },
  };
}

/** The control plane's fleet view (when a heartbeat bucket is set), its gauges in `registry`. */
export function fleetViewFrom(settings: GatehouseSettings, store: ConfigStore, registry: Registry, log: Logger): { fleet: FleetView; part: Closable } | undefined {
  const where = heartbeatLocation(settings);
  if (!where) return undefined;
  const fleet = new FleetView({
    location: where.location,
    store,
    quietAfterMs: settings.fleetQuietAfterMs,
    lagAfterMs: settings.fleetLagAfterMs,
    forgetAfterMs: settings.fleetForgetAfterMs,
    registry,
    logger: log.child({ part: 'fleet' }),
  });
  return { fleet, part: { close: async () => where.close() } };
}
