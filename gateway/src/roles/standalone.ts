/**
 * Role `standalone`: proxy, admin API and embedded store in one process. The store is PGlite in
 * `<dataDir>/store` (or PostgreSQL when DATABASE_URL is set); the data plane follows it like any
 * data plane (push + poll, last-known-good file). With a config file (`GATEHOUSE_CONFIG`), the file
 * is the one source of truth: each changed file content is imported as a new version and the admin
 * API only reads, validates and diffs (writes answer GW_ERR_FILE_MANAGED), so no admin change can be
 * silently replaced by the next import.
 */
import { GatehouseError } from '../core/errors';
import { envName } from '../settings';
import { openConfigStore } from '../store';
import { attachFileImport } from '../control-plane';
import { buildAdminPart } from './admin-api';
import { buildDataPlaneNode, type DataPlaneNode, type NodeOptions } from './node';
import { secretsKeyring } from './secrets-keys';
import { attachStoreSync } from './store-sync';
import { storeConnectionOf } from './store-options';

/** Assembles the standalone node, its store and admin API, and loads the config (nothing listens yet). */
export async function startStandalone(options: NodeOptions): Promise<DataPlaneNode> {
  const { settings, log, plugins } = options;
  if (settings.workers > 1)
    throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
      {
        path: '/settings/workers',
        message: 'standalone keeps its store in this process, so it cannot run several workers.',
        fix: `set ${envName('workers')}=1, or run the data-plane role with workers against a control plane.`,
      },
    ]);
  const keyring = await secretsKeyring(settings, log, true);
  const node = buildDataPlaneNode({ ...options, secretsKeyring: keyring });
  const registry = node.registry;
  const store = await openConfigStore({ ...storeConnectionOf(settings), dataDir: settings.dataDir, migrate: true, retention: settings.configRetention });
  node.parts.push({ close: () => store.close() });
  try {
    if (settings.configFile) node.parts.push(await attachFileImport(store, settings.configFile, settings, plugins?.checker, log, keyring));
    const admin = await buildAdminPart({ settings, log, store, registry, plugins, secretsKeyring: keyring, generateToken: true, fileManaged: !!settings.configFile });
    node.parts.push(...admin.parts, { close: () => admin.admin.close() });
    // The admin API can load a first config, so standalone waits for one instead of exiting.
    await attachStoreSync(node, store, { settings, log, registry, startWithoutConfig: true });
    return { ...node, admin: admin.admin };
  } catch (err) {
    for (const part of [...node.parts].reverse()) await part.close().catch(() => undefined);
    throw err;
  }
}
