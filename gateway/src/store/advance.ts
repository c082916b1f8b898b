/**
 * Bringing a version held in memory up to a newer one through the change log, at the cost of what
 * changed: each change's hash is checked against its text and the result against the newer version's
 * digest, so a damaged or missing change is never built on (the caller then reads the version whole).
 */
import { applyChanges, updatedDigest, type ResourceChange } from '../config/change-set';
import type { GatewayConfig } from '../config/schema';
import { resourceHash } from '../core/resource-digest';
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
    const previous: { kind: ResourceChange['kind']; id: string; body: unknown }[] = [];
    const puts: { kind: ResourceChange['kind']; id: string; hash: string }[] = [];
    const changes: ResourceChange[] = [];
    for (const c of v.changes) {
      if (c.text !== undefined) {
        if (resourceHash(c.kind, c.id, c.text) !== c.hash) return { reason: `version ${v.head.version}: ${c.kind} "${c.id}" does not match its recorded hash` };
        puts.push({ kind: c.kind, id: c.id, hash: c.hash });
      }
      changes.push({ kind: c.kind, id: c.id, ...(c.position === undefined ? {} : { position: c.position }), ...(c.text === undefined ? {} : { body: JSON.parse(c.text) as unknown }) });
    }
    document = applyChanges(document, changes, (kind, id, body) => previous.push({ kind, id, body }));
    digest = updatedDigest(digest, previous, puts);
    if (digest !== v.digest) return { reason: `version ${v.head.version}: the change set leads to digest ${digest}, the version records ${v.digest}` };
    head = v.head;
  }
  if (!head) return { reason: 'no newer version' };
  return { held: { version: head.version, checksum: head.checksum, document, digest }, head };
}
