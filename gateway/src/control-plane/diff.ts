/**
 * What a change does to a config, field by field: jsondiffpatch computes the delta and formats it as
 * JSON Patch operations. Items are keyed by id first (`/routes/hello/priority`, not `/routes/3/…`), so
 * a moved item is not a change and paths stay readable; the per-kind id lists summarise the same diff.
 */
import { create } from 'jsondiffpatch';
import { format } from 'jsondiffpatch/formatters/jsonpatch';
import { canonicalJson } from '../core/checksum';
import type { GatewayConfig } from '../config/schema';
import type { FieldChange } from './contract';

export interface KindDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ConfigDiff {
  routes: KindDiff;
  upstreams: KindDiff;
  consumers: KindDiff;
  plugins: KindDiff;
  /** Every changed field, as JSON Patch operations on the id-keyed document, with the value before. */
  changes: FieldChange[];
  /** True when nothing differs (the canonical documents are equal, order included). */
  unchanged: boolean;
}

const KINDS = ['routes', 'upstreams', 'consumers', 'plugins'] as const;
type Kind = (typeof KINDS)[number];
type Keyed = Record<Kind, Record<string, unknown>>;

const byId = (items: readonly { id: string }[]) => Object.fromEntries(items.map((i) => [i.id, i]));
const keyed = (doc: GatewayConfig): Keyed => ({
  routes: byId(doc.routes),
  upstreams: byId(doc.upstreams),
  consumers: byId(doc.consumers),
  plugins: { ...(doc.plugins ?? {}) },
});

// Arrays inside items (paths, targets) are compared by position: a changed port is one field, not a new target.
const patcher = create({ arrays: { detectMove: false }, cloneDiffValues: false });

const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** The value at a JSON pointer, or undefined. */
function at(root: unknown, pointer: string): unknown {
  let node = root;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[unescape(part)];
  }
  return node;
}

/** Diffs two validated documents. */
export function diffConfigs(before: GatewayConfig, after: GatewayConfig): ConfigDiff {
  const left = keyed(before);
  const right = keyed(after);
  const delta = patcher.diff(left, right);
  const changes: FieldChange[] = delta
    ? format(delta).map((op) => (op.op === 'add' || op.op === 'move' ? op : { ...op, before: at(left, op.path) }) as FieldChange)
    : [];
  const summary = Object.fromEntries(KINDS.map((k) => [k, { added: [], removed: [], changed: [] } as KindDiff])) as Record<Kind, KindDiff>;
  const seen = new Set<string>();
  for (const change of changes) {
    const [, kind, rawId, ...rest] = change.path.split('/') as [string, Kind, string, ...string[]];
    const id = unescape(rawId);
    if (seen.has(`${kind}/${id}`)) continue;
    seen.add(`${kind}/${id}`);
    const list = rest.length ? 'changed' : change.op === 'add' ? 'added' : change.op === 'remove' ? 'removed' : 'changed';
    summary[kind][list].push(id);
  }
  const unchanged = changes.length === 0 && canonicalJson(before) === canonicalJson(after);
  return { ...summary, changes, unchanged };
}
