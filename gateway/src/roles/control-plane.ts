/**
 * Role `control-plane`: the admin API over PostgreSQL (`DATABASE_URL`), migrations at start-up (and,
 * on an empty database, a restore of the newest S3 backup or, when there is none, the import of the
 * initial config file), the S3 backup of every version, the S3 deploy channel (`apply --via`), and a
 * status listener (`/healthz`, `/readyz`, `/metrics` with the backup lag). It serves no proxy traffic.
 * Nothing listens yet: `main.ts` does that.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildStatusServer } from '../data-plane';
import { type PluginRegistry } from '../plugins/contract';
import { GatehouseError } from '../core/errors';
import { envName, type GatehouseSettings } from '../settings';
import { openConfigStore } from '../store';
import { DeployInbox, importInitialConfig, restoreEmptyStoreFromS3, StoreHealth } from '../control-plane';
import { s3Client } from '../sync';
import { buildAdminPart } from './admin-api';
import { fleetViewFrom } from './fleet';
import { closeParts, type GatewayNode } from './node';
import { secretsKeyring } from './secrets-keys';
import { s3LocationFrom } from './store-sync';
import { storeConnectionOf } from './store-options';

/** The node shape, with the two listeners a control plane always has. */
export type ControlPlaneNode = GatewayNode & { readonly admin: FastifyInstance; readonly status: FastifyInstance };

/** Opens the store (applying migrations), builds the admin API and starts the backup. */
export async function startControlPlane(options: { settings: GatehouseSettings; log: Logger; plugins?: PluginRegistry }): Promise<ControlPlaneNode> {
  const { settings, log } = options;
  if (!settings.databaseUrl)
    throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
      { path: '/settings/databaseUrl', message: `the control plane needs PostgreSQL (${envName('databaseUrl')}).`, fix: `set ${envName('databaseUrl')}, or run role standalone for the embedded store.` },
    ]);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  const store = await openConfigStore({
    ...storeConnectionOf(settings),
    migrate: true,
    retention: settings.configRetention,
    // The data planes' read-only role, kept at every start (the settings loader wants both or neither).
    ...(settings.databaseReaderUser && settings.databaseReaderPassword ? { reader: { user: settings.databaseReaderUser, password: settings.databaseReaderPassword } } : {}),
  });
  const location = s3LocationFrom(settings);
  const initialFile = settings.initialConfigFile;
  let keyring: Awaited<ReturnType<typeof secretsKeyring>>;
  try {
    keyring = await secretsKeyring(settings, log, false);
    if (location) await restoreEmptyStoreFromS3(store, location, log);
    if (initialFile) await importInitialConfig(store, initialFile, { settings, location, plugins: options.plugins?.checker, keyring, log });
  } catch (err) {
    await store.close();
    throw err;
  }
  const fleet = fleetViewFrom(settings, store, registry, log);
  const part = await buildAdminPart({ settings, log, store, registry, plugins: options.plugins, secretsKeyring: keyring, fleet: fleet?.fleet, generateToken: false }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const health = new StoreHealth({ check: () => part.service.current(), intervalMs: settings.storeCheckIntervalMs, registry, logger: log.child({ part: 'store-health' }) });
  await health.start();
  // `gatehouse apply --via s3://…`: requests left in the backup bucket are applied like admin API writes.
  const deployClient = location && s3Client(location);
  const inbox = deployClient && location && new DeployInbox({ client: deployClient, location, service: part.service, log: log.child({ part: 'deploy-inbox' }), bodyLimitBytes: settings.adminBodyLimitBytes });
  inbox?.start();
  const status = buildStatusServer({
    readiness: () => health.readiness,
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  });
  const parts = [{ close: () => store.close() }, ...(fleet ? [fleet.part] : []), ...part.parts, { close: () => health.stop() }, { close: async () => (await inbox?.close(), deployClient?.destroy()) }, { close: () => part.admin.close() }];
  return {
    role: 'control-plane',
    admin: part.admin,
    status,
    parts,
    stop: async () => {
      await closeParts(parts, log);
      await status.close();
      return 0;
    },
  };
}
