/**
 * The admin API part of a role (control plane and standalone): the server over the store, its
 * tokens, and the S3 backup of every version it commits.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Keyring } from '../config/secrets';
import { s3Client } from '../sync';
import { buildAdminServer, ConfigBackup, type FleetView, ConfigService, ensureAdminTokenFile, parseTokenEntries, type TokenEntry } from '../control-plane';
import { type PluginRegistry } from '../plugins/contract';
import { GatehouseError } from '../core/errors';
import { envName, type GatehouseSettings } from '../settings';
import type { ConfigStore } from '../store';
import type { Closable } from './node';
import { s3LocationFrom } from './store-sync';

export interface AdminPartOptions {
  settings: GatehouseSettings;
  log: Logger;
  store: ConfigStore;
  registry: Registry;
  plugins?: PluginRegistry;
  /** Encrypts inline secrets before they are stored. */
  secretsKeyring?: Keyring;
  /** The fleet view behind `GET /admin/v1/nodes` (control plane with a heartbeat bucket). */
  fleet?: FleetView;
  /** Standalone: generate `<dataDir>/admin-token` at first start. */
  generateToken: boolean;
  /** Standalone with a config file: the admin API does not write (GW_ERR_FILE_MANAGED). */
  fileManaged?: boolean;
}

export interface AdminPart {
  admin: FastifyInstance;
  /** What the admin API writes through; the control plane's readiness check reads the head with it. */
  service: ConfigService;
  backup: ConfigBackup | undefined;
  parts: Closable[];
}

/** Builds the admin API (not listening) and starts the S3 backup when a bucket is set. */
export async function buildAdminPart(options: AdminPartOptions): Promise<AdminPart> {
  const { settings, log } = options;
  const tokens: TokenEntry[] = parseTokenEntries(settings.adminTokens);
  if (options.generateToken) {
    const file = await ensureAdminTokenFile(settings.dataDir);
    tokens.push(file.entry);
    log.info({ path: file.path, created: file.created }, 'admin API token: read it from this file (mode 0600)');
  }
  if (!tokens.length)
    throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
      {
        path: '/settings/adminTokens',
        message: `the control plane has no admin token, so nobody could use its admin API (${envName('adminTokens')} is empty).`,
        fix: `make one with \`npx tsx gateway/src/control-plane/auth/new-token.ts admin\` and set ${envName('adminTokens')} to the printed entry.`,
      },
    ]);
  const location = s3LocationFrom(settings);
  const client = location && s3Client(location);
  const backup = client && location ? new ConfigBackup({ store: options.store, client, location, logger: log.child({ part: 'backup' }), registry: options.registry }) : undefined;
  const service = new ConfigService(options.store, {
    plugins: options.plugins?.checker,
    keyring: options.secretsKeyring,
    dropGuardPercent: settings.dropGuardPercent,
    onCommit: (version) => backup?.trigger(version),
  });
  const admin = buildAdminServer({
    service,
    store: options.store,
    tokens,
    bodyLimitBytes: settings.adminBodyLimitBytes,
    dropGuardPercent: settings.dropGuardPercent,
    fileManaged: options.fileManaged,
    fleet: options.fleet,
    logger: log.child({ part: 'admin' }),
  });
  backup?.start();
  const parts: Closable[] = [
    {
      close: async () => {
        await backup?.stop();
        client?.destroy();
      },
    },
  ];
  return { admin, service, backup, parts };
}
