/**
 * A config version's checksum and its one verifier. The prefix says which of two forms it is:
 * `sum256:` is the incremental digest (core/resource-digest.ts), which every version written now
 * records, so a write never hashes the whole document; `sha256:` is the hash of the canonical text,
 * which versions stored before recorded and keep (history is never rewritten). Every reader of a
 * version (the store, the control plane's head checks, data planes on a whole fetch, the
 * last-known-good file and S3 backups) verifies through here.
 */
import { createHash } from 'node:crypto';
import { textChecksum } from './checksum';
import { documentTextChunks } from './document-text';
import { DIGEST_PREFIX, documentDigestSteps } from './resource-digest';
import { runInSlices, runThrough } from './slices';

/** The prefix of the older form: sha256 of the canonical text. */
export const SHA256_PREFIX = 'sha256:';

/** What a checksum is verified against: the document, and its canonical text when a store kept it. */
export interface Checksummed {
  readonly checksum: string;
  readonly document: unknown;
  readonly canonicalText?: string;
}

/** The checksum `version.document` actually has, in the form `version.checksum` uses. */
export function actualChecksum(version: Checksummed): string {
  return runThrough(checksumSteps(version));
}

/** `actualChecksum` in slices that yield the event loop (a data plane checking a large document). */
export function actualChecksumInSlices(version: Checksummed): Promise<string> {
  return runInSlices(checksumSteps(version));
}

/** True when `document` matches `checksum` (either form). */
export function verifyChecksum(document: unknown, checksum: string, canonicalText?: string): boolean {
  return actualChecksum({ checksum, document, canonicalText }) === checksum;
}

function* checksumSteps({ checksum, document, canonicalText }: Checksummed): Generator<void, string> {
  if (checksum.startsWith(DIGEST_PREFIX)) {
    try {
      return yield* documentDigestSteps(document);
    } catch {
      // Something that is not a document has no digest: it matches no recorded one.
      return `${DIGEST_PREFIX}(not a well-formed config document)`;
    }
  }
  if (canonicalText !== undefined) {
    const fast = textChecksum(canonicalText);
    // A store whose column re-serialises documents (jsonb) returns other text: check the content instead.
    if (fast === checksum) return fast;
  }
  const hash = createHash('sha256');
  for (const chunk of documentTextChunks(document)) {
    hash.update(chunk);
    yield;
  }
  return SHA256_PREFIX + hash.digest('hex');
}
