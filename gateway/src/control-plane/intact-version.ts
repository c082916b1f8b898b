/**
 * A head that does not match its checksum must never be built on; the repair is a rollback to the
 * newest version that still matches. This names that version in the error the admin API answers.
 */
import { actualChecksumInSlices } from '../core/version-checksum';
import { CorruptVersionError, type ConfigStore } from '../store';

/** Versions inspected, newest first, when looking for an intact one (a whole retention window at most). */
const MAX_VERSIONS_INSPECTED = 1000;
type VersionReader = Pick<ConfigStore, 'list' | 'get'>;

/** The newest version below `below` whose document matches its checksum, or undefined when there is none. */
export async function newestIntactVersion(store: VersionReader, below: number): Promise<number | undefined> {
  for (const head of await store.list({ limit: MAX_VERSIONS_INSPECTED, before: below })) {
    const v = await store.get(head.version);
    if (v && (await actualChecksumInSlices(v)) === v.checksum) return v.version;
  }
  return undefined;
}

/** The error for a version that does not match its checksum, naming the newest intact one. */
export async function corruptionOf(store: VersionReader, version: number): Promise<CorruptVersionError> {
  return new CorruptVersionError(version, (await newestIntactVersion(store, version)) ?? 0);
}

/** Rethrows `err`; a CorruptVersionError from the store is answered with the newest intact version named. */
export async function namingIntactVersion(store: VersionReader, err: unknown): Promise<never> {
  if (err instanceof CorruptVersionError && err.intactVersion === undefined) throw await corruptionOf(store, err.version);
  throw err;
}
