/**
 * Change sets: what one config version added, changed and removed, one resource at a time. The store
 * writes them next to each version; data planes apply them to the document they run instead of
 * fetching the whole document; admin writes validate only what they changed. A change set rebuilds
 * the exact next document, order included: unchanged resources keep their relative order (a resource
 * that moved is recorded as changed) and every put carries its position in the new version.
 */
import { ARRAY_KINDS, resourceText, wellFormed, type ResourceKind } from '../core/document-text';
import { DigestSum, resourceHashOf } from '../core/resource-digest';
import type { GatewayConfig } from './schema';

// The document's outline, texts and digest live in core/ (the version checksum needs them); offered here too.
export { ARRAY_KINDS, documentText, documentTextChunks, resourceText, type ArrayKey, type ResourceKind } from '../core/document-text';
export { documentDigest, documentDigestInSlices, resourceHashOf } from '../core/resource-digest';

/** One resource put (added or changed: `body` set) or removed (`body` undefined). */
export interface ResourceChange {
  readonly kind: ResourceKind;
  readonly id: string;
  readonly body?: unknown;
  /** Array kinds: the resource's index in the new version. */
  readonly position?: number;
  /** The resource in the version before, when the writer of the change set knew it (digest updates). */
  readonly previous?: unknown;
}

/** Calls `fn` for every resource of a document. */
export function forEachResource(doc: GatewayConfig, fn: (kind: ResourceKind, id: string, body: unknown) => void): void {
  for (const [kind, key] of ARRAY_KINDS) for (const item of doc[key] as readonly { id: string }[]) fn(kind, item.id, item);
  for (const [name, slot] of Object.entries(doc.plugins ?? {})) fn('plugin', name, slot);
}

/**
 * The change set that turns `before` into `after`, or undefined when `after` is not a document a
 * change set can describe (an id twice in one array: validation reports it).
 */
export function diffDocuments(before: GatewayConfig, after: GatewayConfig): ResourceChange[] | undefined {
  if (!wellFormed(before) || !wellFormed(after)) return undefined;
  const changes: ResourceChange[] = [];
  for (const [kind, key] of ARRAY_KINDS) {
    const old = before[key] as readonly { id: string }[];
    const next = after[key] as readonly { id: string }[];
    if (old === next) continue;
    const oldAt = new Map<string, number>();
    old.forEach((item, i) => oldAt.set(item.id, i));
    const seen = new Set<string>();
    // Highest old index among the unchanged resources kept so far: one below it has moved.
    let kept = -1;
    for (let j = 0; j < next.length; j++) {
      const item = next[j]!;
      if (seen.has(item.id)) return undefined;
      seen.add(item.id);
      const i = oldAt.get(item.id);
      const same = i !== undefined && (old[i] === item || resourceText(old[i]) === resourceText(item));
      if (same && i > kept) kept = i;
      else changes.push({ kind, id: item.id, body: item, position: j, ...(i === undefined ? {} : { previous: old[i] }) });
    }
    for (const item of old) if (!seen.has(item.id)) changes.push({ kind, id: item.id, previous: item });
  }
  const oldSlots = before.plugins ?? {};
  const newSlots = after.plugins ?? {};
  if (oldSlots !== newSlots) {
    for (const [name, slot] of Object.entries(newSlots))
      if (!(name in oldSlots) || resourceText(oldSlots[name]) !== resourceText(slot))
        changes.push({ kind: 'plugin', id: name, body: slot, ...(name in oldSlots ? { previous: oldSlots[name] } : {}) });
    for (const name of Object.keys(oldSlots)) if (!(name in newSlots)) changes.push({ kind: 'plugin', id: name, previous: oldSlots[name] });
  }
  return changes;
}

/**
 * The document `changes` turn `base` into; arrays without changes are shared with `base`, nothing is
 * mutated. `onPrevious` receives each resource the changes replace or remove, as it was in `base`.
 */
export function applyChanges(base: GatewayConfig, changes: readonly ResourceChange[], onPrevious?: (kind: ResourceKind, id: string, body: unknown) => void): GatewayConfig {
  const next: GatewayConfig = { ...base };
  for (const [kind, key] of ARRAY_KINDS) {
    const mine = changes.filter((c) => c.kind === kind);
    if (mine.length === 0) continue;
    const touched = new Set(mine.map((c) => c.id));
    const items = (base[key] as readonly { id: string }[]).filter((item) => {
      if (!touched.has(item.id)) return true;
      onPrevious?.(kind, item.id, item);
      return false;
    });
    const puts = mine.filter((c) => c.body !== undefined).sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity));
    for (const put of puts) items.splice(Math.min(put.position ?? items.length, items.length), 0, put.body as { id: string });
    (next as unknown as Record<string, unknown>)[key] = items;
  }
  const slots = changes.filter((c) => c.kind === 'plugin');
  if (slots.length) {
    const plugins: Record<string, unknown> = { ...base.plugins };
    for (const c of slots) {
      if (c.id in plugins) onPrevious?.('plugin', c.id, plugins[c.id]);
      if (c.body === undefined) delete plugins[c.id];
      else plugins[c.id] = c.body;
    }
    next.plugins = plugins as GatewayConfig['plugins'];
  }
  return next;
}

/** `digest` with the resources `previous` lists taken out and the ones `puts` lists added. */
export function updatedDigest(
  digest: string,
  previous: Iterable<{ kind: ResourceKind; id: string; body: unknown }>,
  puts: Iterable<{ kind: ResourceKind; id: string; hash: string }>,
): string {
  const sum = DigestSum.parse(digest);
  for (const p of previous) sum.add(resourceHashOf(p.kind, p.id, p.body), -1);
  for (const p of puts) sum.add(p.hash);
  return sum.toString();
}
