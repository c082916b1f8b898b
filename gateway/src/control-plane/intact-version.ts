/**
 * A head that does not match its checksum must never be built on; the repair is a rollback to the
 * newest version that still matches. This names that version in the error the admin API answers.
 */
import { actualChecksum } from '../config/checksum';
import { CorruptVersionError, type ConfigStore } from '../store';

/** Versions inspected, newest first, when looking for an intact one (a whole retention window at most). */
const MAX_VERSIONS_INSPECTED = 1000;

/** The newest version below `below` whose document matches its checksum, or undefined when there is none. */
export async function newestIntactVersion(store: Pick<ConfigStore, 'list' | 'get'>, below: number): Promise<number | undefined> {
  for (const head of await store.list({ limit: MAX_VERSIONS_INSPECTED, before: below })) {
    const v = await store.get(head.version);
    if (v && actualChecksum(v) === v.checksum) return v.version;
  }
  return undefined;
}

/** Runs `fn`; a CorruptVersionError it throws is answered again with the newest intact version named. */
export async function namingIntactVersion<T>(store: Pick<ConfigStore, 'list' | 'get'>, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof CorruptVersionError) || err.intactVersion !== undefined) throw err;
    throw new CorruptVersionError(err.version, (await newestIntactVersion(store, err.version)) ?? 0);
  }
}
