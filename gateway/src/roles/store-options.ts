/** The config store's connection settings, read the same way by every role. */
import { envName, type GatehouseSettings } from '../settings';
import type { StoreOptions } from '../store';

/** Where and how every role connects to PostgreSQL: URL, TLS verification and the client-side deadline. */
export function storeConnectionOf(settings: GatehouseSettings): Pick<StoreOptions, 'databaseUrl' | 'databaseCa' | 'settingNames' | 'deadlineMs'> {
  return {
    databaseUrl: settings.databaseUrl,
    databaseCa: settings.databaseCa,
    settingNames: { url: envName('databaseUrl'), ca: envName('databaseCa'), readerUser: envName('databaseReaderUser') },
    deadlineMs: settings.storeDeadlineMs,
  };
}
