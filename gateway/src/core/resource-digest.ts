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
 * which is likewise unkeyed. Since order does not enter, the digest as a version's checksum does not
 * verify the order of resources within an array (docs/DESIGN.md: the version checksum's two forms).
 *
 * Versions written since the digest became the head's checksum record it as their checksum; older
 * versions record the sha256 of the canonical text (core/version-checksum.ts verifies both).
 */
import { hash } from 'node:crypto';
import { ARRAY_KINDS, resourceText, wellFormed, type ResourceKind } from './document-text';
import { runInSlices, runThrough } from './slices';

export const DIGEST_PREFIX = 'sum256:';
const LIMBS = 8;
const LIMB = 2 ** 32;
const SCRATCH = Buffer.alloc(32);

/**
 * `sha256:<hex>` of one resource: its kind, id and canonical JSON, NUL-separated. One-shot hashing
 * (a quarter of the cost of a Hash object for texts this small): a document's digest is one per resource.
 */
export function resourceHash(kind: string, id: string, canonicalText: string): string {
  return 'sha256:' + hash('sha256', `${kind}\0${id}\0${canonicalText}`);
}

/**
 * A running sum mod 2^256, kept as eight 32-bit limbs in plain numbers (exact while fewer than 2^21
 * hashes are added between normalisations), so adding a hash costs eight parseInts, not BigInt work.
 */
export class DigestSum {
  private readonly limbs = new Array<number>(LIMBS).fill(0);
  private pending = 0;

  /** The sum a `sum256:` digest records; throws on anything else. */
  static parse(text: string): DigestSum {
    const hex = text.startsWith(DIGEST_PREFIX) ? text.slice(DIGEST_PREFIX.length) : '';
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a sum256 digest: ${text.slice(0, 80)}`);
    const sum = new DigestSum();
    for (let i = 0; i < LIMBS; i++) sum.limbs[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
    return sum;
  }

  /** Adds (sign 1) or takes out (sign -1) one `sha256:<hex>` resource hash; throws on anything else. */
  add(resourceHash: string, sign: 1 | -1 = 1): this {
    // Decoding the hex into a scratch buffer is a quarter of the cost of eight parseInts.
    if (SCRATCH.write(resourceHash.slice(resourceHash.indexOf(':') + 1), 'hex') !== 32 || resourceHash.length !== 71)
      throw new Error(`not a sha256 resource hash: ${resourceHash.slice(0, 80)}`);
    for (let i = 0; i < LIMBS; i++) this.limbs[i]! += sign * SCRATCH.readUInt32BE(i * 4);
    if (++this.pending >= 1 << 20) this.normalise();
    return this;
  }

  /** `sum256:<64 hex>`. */
  toString(): string {
    this.normalise();
    return DIGEST_PREFIX + this.limbs.map((l) => l.toString(16).padStart(8, '0')).join('');
  }

  /** Carries between limbs (most significant first), dropping what overflows 2^256. */
  private normalise(): void {
    let carry = 0;
    for (let i = LIMBS - 1; i >= 0; i--) {
      const v = this.limbs[i]! + carry;
      const limb = ((v % LIMB) + LIMB) % LIMB;
      carry = (v - limb) / LIMB;
      this.limbs[i] = limb;
    }
    this.pending = 0;
  }
}

/** `sha256:<hex>` of one resource (kind, id, canonical JSON). */
export function resourceHashOf(kind: ResourceKind, id: string, body: unknown): string {
  return resourceHash(kind, id, resourceText(body));
}

/** The digest of a whole document: every resource hashed. Throws when `doc` is not a well-formed document. */
export function documentDigest(doc: unknown): string {
  return runThrough(documentDigestSteps(doc));
}

/** The same digest in slices that yield the event loop (a data plane hashing a large document). */
export function documentDigestInSlices(doc: unknown): Promise<string> {
  return runInSlices(documentDigestSteps(doc));
}

/** The digest's work, pausing after every resource (see core/slices.ts). */
export function* documentDigestSteps(doc: unknown): Generator<void, string> {
  if (!wellFormed(doc)) throw new Error('not a well-formed config document');
  const sum = new DigestSum();
  for (const [kind, key] of ARRAY_KINDS)
    for (const item of doc[key]) {
      sum.add(resourceHashOf(kind, item.id, item));
      yield;
    }
  for (const [name, slot] of Object.entries(doc.plugins)) sum.add(resourceHashOf('plugin', name, slot));
  return sum.toString();
}
