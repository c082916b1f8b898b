/**
 * The on-disk and S3 form of a config version: the version's head and document in one JSON object,
 * checked against its checksum whenever it is read back.
 */
import { actualChecksumInSlices } from '../core/version-checksum';
import type { ConfigVersion } from '../store/types';

/** Parses a stored version and verifies its checksum (either form, in slices); returns a reason instead of throwing. */
export async function parseVersionFile(text: string): Promise<{ ok: true; version: ConfigVersion } | { ok: false; reason: string }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
  const v = value as Partial<ConfigVersion> | null;
  if (!v || typeof v !== 'object' || !Number.isInteger(v.version) || typeof v.checksum !== 'string' || !v.document || typeof v.document !== 'object')
    return { ok: false, reason: 'missing version, checksum or document' };
  const actual = await actualChecksumInSlices({ checksum: v.checksum, document: v.document });
  if (actual !== v.checksum) return { ok: false, reason: `checksum mismatch (recorded ${v.checksum}, content ${actual})` };
  return {
    ok: true,
    version: {
      version: v.version!,
      checksum: v.checksum,
      author: String(v.author ?? ''),
      message: String(v.message ?? ''),
      intendedDrop: v.intendedDrop === true,
      routeCount: Array.isArray(v.document.routes) ? v.document.routes.length : 0,
      createdAt: String(v.createdAt ?? ''),
      document: v.document,
    },
  };
}

/** Serialises a version for a file or an S3 object (splicing in the canonical text when it was kept). */
export function formatVersionFile(version: ConfigVersion): string {
  const { version: n, checksum, author, message, intendedDrop, routeCount, createdAt, document } = version;
  if (version.canonicalText === undefined) return JSON.stringify({ version: n, checksum, author, message, intendedDrop, routeCount, createdAt, document });
  const head = JSON.stringify({ version: n, checksum, author, message, intendedDrop, routeCount, createdAt });
  return `${head.slice(0, -1)},"document":${version.canonicalText}}`;
}
