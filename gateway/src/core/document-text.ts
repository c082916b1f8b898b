/**
 * The canonical text of a config document built from its resources' texts, each serialised once and
 * cached by object: the checksum, the digest, stored rows and backups all start from these texts.
 * Only the document's outline is known here (three arrays of resources with ids and the global plugin
 * slots); what a resource holds is config/schema.ts's business.
 */
import { canonicalJson } from './checksum';

/** The kinds of resource a document holds; `plugin` is a global plugin slot, keyed by plugin name. */
export type ResourceKind = 'route' | 'upstream' | 'consumer' | 'plugin';

/** The array kinds and their document keys, in canonical (sorted-key) order. */
export const ARRAY_KINDS = [
  ['consumer', 'consumers'],
  ['route', 'routes'],
  ['upstream', 'upstreams'],
] as const;

export type ArrayKey = (typeof ARRAY_KINDS)[number][1];

/** A document with exactly the four document keys, arrays of resources with ids and an object of plugin slots. */
export type DocumentOutline = { readonly [K in ArrayKey]: readonly { readonly id: string }[] } & { readonly plugins: Readonly<Record<string, unknown>> };

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
export function wellFormed(doc: unknown): doc is DocumentOutline {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  return (
    Object.keys(d).length === 4 &&
    ARRAY_KINDS.every(([, key]) => Array.isArray(d[key]) && (d[key] as unknown[]).every((i) => i && typeof i === 'object' && typeof (i as { id?: unknown }).id === 'string')) &&
    !!d.plugins &&
    typeof d.plugins === 'object' &&
    !Array.isArray(d.plugins)
  );
}

/** Canonical JSON of a whole document, assembled from the cached resource texts (same bytes as `canonicalJson`). */
export function documentText(doc: unknown): string {
  if (!wellFormed(doc)) return canonicalJson(doc);
  const array = (items: readonly unknown[]) => '[' + items.map(resourceText).join(',') + ']';
  return `{"consumers":${array(doc.consumers)},"plugins":{${pluginSlots(doc)}},"routes":${array(doc.routes)},"upstreams":${array(doc.upstreams)}}`;
}

/**
 * The same bytes as `documentText`, in chunks of about `perChunk` resources: a writer can hash and
 * write a large document a piece at a time, yielding the event loop between pieces.
 */
export function* documentTextChunks(doc: unknown, perChunk = 512): Generator<string> {
  if (!wellFormed(doc)) {
    yield canonicalJson(doc);
    return;
  }
  const array = function* (items: readonly unknown[]): Generator<string> {
    for (let i = 0; i < items.length; i += perChunk) yield (i === 0 ? '' : ',') + items.slice(i, i + perChunk).map(resourceText).join(',');
  };
  yield '{"consumers":[';
  yield* array(doc.consumers);
  yield `],"plugins":{${pluginSlots(doc)}},"routes":[`;
  yield* array(doc.routes);
  yield '],"upstreams":[';
  yield* array(doc.upstreams);
  yield ']}';
}

function pluginSlots(doc: DocumentOutline): string {
  return Object.keys(doc.plugins)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${resourceText(doc.plugins[name])}`)
    .join(',');
}
