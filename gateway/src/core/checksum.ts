/** Canonical form and checksum of a config document: the same content always gives the same checksum. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** `sha256:<hex>` of the canonical JSON. */
export function configChecksum(value: unknown): string {
  return textChecksum(canonicalJson(value));
}

/** `sha256:<hex>` of text that is already canonical JSON (as stored), without re-serialising it. */
export function textChecksum(canonicalText: string): string {
  return 'sha256:' + createHash('sha256').update(canonicalText).digest('hex');
}
