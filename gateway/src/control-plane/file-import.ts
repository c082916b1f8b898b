/**
 * Standalone with a config file: the file is imported into the store as a new version (author
 * `file`) whenever its content differs from the last import, so the file can seed and update the
 * config while changes made through the admin API survive restarts (an unchanged file is not
 * imported again). A file that would drop most routes is refused like any other write; use the
 * admin API with `allowDrop=true` for that.
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { FileConfigSource, type ApplyResult, type ConfigMeta, type ConfigSink } from '../sync';
import type { Keyring } from '../config/secrets';
import type { PluginConfigChecker } from '../config/validate';
import { GatehouseError } from '../core/errors';
import type { GatehouseSettings } from '../settings';
import type { ConfigStore } from '../store';
import { ConfigService } from './config-service';

const markerKey = (file: string) => `file-import:${resolve(file)}`;

/** A ConfigSink that turns each file content into a store version. */
export class StoreImportSink implements ConfigSink {
  private readonly service: ConfigService;
  private lastVersion: number | undefined;

  constructor(
    private readonly store: ConfigStore,
    private readonly file: string,
    settings: GatehouseSettings,
    plugins: PluginConfigChecker | undefined,
    private readonly log: Logger,
    keyring?: Keyring,
  ) {
    this.service = new ConfigService(store, { plugins, keyring, dropGuardPercent: settings.dropGuardPercent });
  }

  get currentVersion(): number | undefined {
    return this.lastVersion;
  }

  async apply(document: unknown, meta: ConfigMeta): Promise<ApplyResult> {
    const key = markerKey(this.file);
    if ((await this.store.getMarker(key)) === meta.checksum) return { applied: false, reason: 'unchanged since the last import' };
    try {
      const outcome = await this.service.change({ author: 'file', message: `import ${resolve(this.file)}`, allowDrop: false, dryRun: false }, () => document);
      if (outcome.dryRun) throw new Error('unreachable');
      await this.store.setMarker(key, meta.checksum);
      this.lastVersion = outcome.version.version;
      this.log.info({ file: this.file, version: outcome.version.version }, 'config file imported as a new version');
      return { applied: true, version: outcome.version.version };
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      this.log.error({ file: this.file, problems: err.problems }, `config file not imported: ${err.message}`);
      return { applied: false, reason: err.message, problems: err.problems };
    }
  }
}

/** Imports the file now (when changed) and on every change; returns the watcher to close. */
export async function attachFileImport(store: ConfigStore, file: string, settings: GatehouseSettings, plugins: PluginConfigChecker | undefined, log: Logger, keyring?: Keyring): Promise<FileConfigSource> {
  const sink = new StoreImportSink(store, file, settings, plugins, log, keyring);
  const source = new FileConfigSource({ file, sink, log });
  const result = await source.load();
  if (!result.applied && result.reason !== 'unchanged since the last import' && !(await store.head()))
    throw new GatehouseError('GW_ERR_CONFIG_INVALID', `${source.file}: ${result.reason}`, result.problems ?? []);
  source.watch();
  return source;
}
