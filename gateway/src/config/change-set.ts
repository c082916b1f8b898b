/**
 * Change sets: what one config version added, changed and removed, one resource at a time. The store
 * writes them next to each version; data planes apply them to the document they run instead of
 * fetching the whole document; admin writes validate only what they changed. A change set rebuilds
 * the exact next document, order included: unchanged resources keep their relative order (a resource
 * that moved is recorded as changed) and every put carries its position in the new version.
 */
import { canonicalJson } from '../core/checksum';
import { DigestSum, resourceHash } from '../core/resource-digest';
import { runInSlices, runThrough } from '../core/slices';
import type { GatewayConfig } from './schema';

/** The kinds of resource a document holds; `plugin` is a global plugin slot, keyed by plugin name. */
export type ResourceKind = 'route' | 'upstream' | 'consumer' | 'plugin';

/** The array kinds and their document keys, in canonical (sorted-key) order. */
export const ARRAY_KINDS = [
  ['consumer', 'consumers'],
  ['route', 'routes'],
  ['upstream', 'upstreams'],
] as const;

export type ArrayKey = (typeof ARRAY_KINDS)[number][1];

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

const texts = new WeakMap<object, string>();

/**
 * The canonical JSON of one resource, cached by object: validated documents are never mutated, so a
 * resource shared between two versions is serialised once.
 */
export function resourceText(body: unknown): string {
  if (!body || typeof body !== 'object') return canonicalJson(body);
  let text = texts.get(body);
  if (text === undefined) {
    text = canonicalJson(body);
    texts.set(body, text);
  }
  return text;
}

/** True when `doc` has exactly the four document keys with arrays and an object where they belong. */
function wellFormed(doc: GatewayConfig): boolean {
  const keys = Object.keys(doc);
  return (
    keys.length === 4 &&
    ARRAY_KINDS.every(([, key]) => Array.isArray(doc[key]) && (doc[key] as unknown[]).every((i) => i && typeof i === 'object' && typeof (i as { id?: unknown }).id === 'string')) &&
    !!doc.plugins &&
    typeof doc.plugins === 'object' &&
    !Array.isArray(doc.plugins)
  );
}

/** Canonical JSON of a whole document, assembled from the cached resource texts (same bytes as `canonicalJson`). */
export function documentText(doc: GatewayConfig): string {
  if (!wellFormed(doc)) return canonicalJson(doc);
  const array = (items: readonly unknown[]) => '[' + items.map(resourceText).join(',') + ']';
  const plugins = doc.plugins ?? {};
  const slots = Object.keys(plugins)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${resourceText(plugins[name])}`)
    .join(',');
  return `{"consumers":${array(doc.consumers)},"plugins":{${slots}},"routes":${array(doc.routes)},"upstreams":${array(doc.upstreams)}}`;
}

/**
 * The same bytes as `documentText`, in chunks of about `perChunk` resources: a writer can hash and
 * write a large document a piece at a time, yielding the event loop between pieces.
 */
export function* documentTextChunks(doc: GatewayConfig, perChunk = 512): Generator<string> {
  if (!wellFormed(doc)) {
    yield canonicalJson(doc);
    return;
  }
  const array = function* (items: readonly unknown[]): Generator<string> {
    for (let i = 0; i < items.length; i += perChunk) yield (i === 0 ? '' : ',') + items.slice(i, i + perChunk).map(resourceText).join(',');
  };
  const plugins = doc.plugins;
  const slots = Object.keys(plugins)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${resourceText(plugins[name])}`)
    .join(',');
  yield '{"consumers":[';
  yield* array(doc.consumers);
  yield `],"plugins":{${slots}},"routes":[`;
  yield* array(doc.routes);
  yield '],"upstreams":[';
  yield* array(doc.upstreams);
  yield ']}';
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

/** `sha256:<hex>` of one resource (kind, id, canonical JSON). */
export function resourceHashOf(kind: ResourceKind, id: string, body: unknown): string {
  return resourceHash(kind, id, resourceText(body));
}

/** The digest of a whole document: every resource hashed (see core/resource-digest.ts). */
export function documentDigest(doc: GatewayConfig): string {
  return runThrough(digestSteps(doc));
}

/** The same digest in slices that yield the event loop (a data plane hashing a large document). */
export function documentDigestInSlices(doc: GatewayConfig): Promise<string> {
  return runInSlices(digestSteps(doc));
}

function* digestSteps(doc: GatewayConfig): Generator<void, string> {
  if (!wellFormed(doc)) throw new Error('not a well-formed config document');
  const sum = new DigestSum();
  for (const [kind, key] of ARRAY_KINDS)
    for (const item of doc[key] as readonly { id: string }[]) {
      sum.add(resourceHashOf(kind, item.id, item));
      yield;
    }
  for (const [name, slot] of Object.entries(doc.plugins)) sum.add(resourceHashOf('plugin', name, slot));
  return sum.toString();
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
