/**
 * Role `data-plane`: the proxy alone. With DATABASE_URL it follows the config store (LISTEN + poll,
 * read-only credentials suffice) with the last-known-good file and the S3 backup as cold-start
 * fallbacks; otherwise it reads a config file (`GATEHOUSE_CONFIG`).
 */
import { GatehouseError } from '../core/errors';
import { envName } from '../settings';
import { openConfigStore } from '../store';
import { attachConfigFile } from './file-config';
import { startHeartbeat } from './fleet';
import { buildDataPlaneNode, type DataPlaneNode, type NodeOptions } from './node';
import { secretsKeyring } from './secrets-keys';
import { attachStoreSync } from './store-sync';
import { storeConnectionOf } from './store-options';

/** Assembles a data-plane node and attaches its config source (nothing listens yet). */
export async function startDataPlane(options: NodeOptions): Promise<DataPlaneNode> {
  const { settings, log } = options;
  const nodeOptions = { ...options, secretsKeyring: await secretsKeyring(settings, log, false) };
  if (settings.databaseUrl) {
    const node = buildDataPlaneNode(nodeOptions);
    // No migrations: data planes connect with a read-only role; the control plane owns the schema.
    const store = await openConfigStore({ ...storeConnectionOf(settings), migrate: false });
    node.parts.push({ close: () => store.close() });
    try {
      const { sync } = await attachStoreSync(node, store, { settings, log, registry: node.registry });
      const heartbeat = startHeartbeat(sync, settings, log);
      if (heartbeat) node.parts.push(heartbeat);
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    return node;
  }
  const file = settings.configFile;
  if (!file)
    throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
      {
        path: '/settings/databaseUrl',
        message: `a data plane needs a config source: the config store (${envName('databaseUrl')}) or a file (${envName('configFile')}).`,
        fix: `set ${envName('databaseUrl')} to the control plane's PostgreSQL (a read-only role is enough), or ${envName('configFile')} to a YAML or JSON config.`,
      },
    ]);
  const node = buildDataPlaneNode(nodeOptions);
  await attachConfigFile(node, file);
  return node;
}
