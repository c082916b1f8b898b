/**
 * Bringing a version held in memory up to a newer one through the change log, at the cost of what
 * changed: each change's hash is checked against its text and the result against the newer version's
 * digest, so a damaged or missing change is never built on (the caller then reads the version whole).
 */
import { applyChanges, updatedDigest, type ResourceChange } from '../config/change-set';
import type { GatewayConfig } from '../config/schema';
import { decodeStoredChanges } from './stored-changes';
import type { ConfigStore, ConfigVersionHead } from './types';

/** A version as a writer holds it in memory. */
export interface HeldVersion {
  readonly version: number;
  readonly checksum: string;
  readonly document: GatewayConfig;
  /** Its digest; without it the version cannot be advanced. */
  readonly digest?: string;
}

/** `held` advanced to the newest version, or undefined when the change log cannot do it (the reason says why). */
export async function advanceHeld(store: Pick<ConfigStore, 'changesSince'>, held: HeldVersion): Promise<{ held: HeldVersion; head: ConfigVersionHead } | { reason: string }> {
  if (!held.digest) return { reason: 'the held version has no digest' };
  const since = await store.changesSince(held.version);
  if (!since.ok) return { reason: since.reason };
  let { document, digest } = held;
  let head: ConfigVersionHead | undefined;
  for (const v of since.versions) {
    const changes = decodeStoredChanges(v.changes);
    if (typeof changes === 'string') return { reason: `version ${v.head.version}: ${changes}` };
    const previous: { kind: ResourceChange['kind']; id: string; body: unknown }[] = [];
    const puts = v.changes.flatMap((c) => (c.text === undefined ? [] : [{ kind: c.kind, id: c.id, hash: c.hash! }]));
    document = applyChanges(document, changes, (kind, id, body) => previous.push({ kind, id, body }));
    digest = updatedDigest(digest, previous, puts);
    if (digest !== v.digest) return { reason: `version ${v.head.version}: the change set leads to digest ${digest}, the version records ${v.digest}` };
    head = v.head;
  }
  if (!head) return { reason: 'no newer version' };
  return { held: { version: head.version, checksum: head.checksum, document, digest }, head };
}
