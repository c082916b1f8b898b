/**
 * The version digest: a checksum of a config document that can be updated one resource at a time,
 * so a data plane that applies a change set can tell whether it now holds exactly what the store
 * holds without serialising the whole document.
 *
 * digest = Σ sha256(kind ␀ id ␀ canonical JSON of the resource) mod 2^256 (the AdHash construction).
 * Adding, changing or removing one resource adds and subtracts its hashes; the order of resources
 * does not enter (order is carried by positions in the change set). Against accidental damage (a lost,
 * duplicated, truncated or altered change) a mismatch goes unnoticed with probability 2^-256. XOR
 * would cancel a resource counted twice; a sum does not. It is not a defence against someone who can
 * write the store: they can rewrite the recorded digest as easily as the whole-document checksum,
 * which is likewise unkeyed; data planes still compare the whole-document sha256 when they write the
 * last-known-good file.
 */
import { createHash } from 'node:crypto';

const MODULUS = 1n << 256n;
export const DIGEST_PREFIX = 'sum256:';

/** `sha256:<hex>` of one resource: its kind, id and canonical JSON. */
export function resourceHash(kind: string, id: string, canonicalText: string): string {
  return 'sha256:' + createHash('sha256').update(kind).update('\0').update(id).update('\0').update(canonicalText).digest('hex');
}

/** `sum256:<64 hex>` of a digest value. */
export function formatDigest(value: bigint): string {
  return DIGEST_PREFIX + (((value % MODULUS) + MODULUS) % MODULUS).toString(16).padStart(64, '0');
}

/** The value of a `sum256:` digest; throws on anything else. */
export function parseDigest(text: string): bigint {
  if (!text.startsWith(DIGEST_PREFIX) || !/^[0-9a-f]{64}$/.test(text.slice(DIGEST_PREFIX.length))) throw new Error(`not a sum256 digest: ${text.slice(0, 80)}`);
  return BigInt('0x' + text.slice(DIGEST_PREFIX.length));
}

/** Adds (sign 1) or removes (sign -1) one `sha256:` resource hash, mod 2^256. */
export function updateDigest(value: bigint, hash: string, sign: 1 | -1): bigint {
  const h = BigInt('0x' + hash.slice(hash.indexOf(':') + 1));
  return (((value + BigInt(sign) * h) % MODULUS) + MODULUS) % MODULUS;
}
