/**
 * The part of a write that changed, as two small documents of their own: the changed resources as
 * they were and as they are. Sealing secrets, the field-level diff and the write answer's secret view
 * only ever look at one resource at a time (secret places are keyed by id), so running them on these
 * parts gives the same answer as running them on the whole documents, at the cost of the change.
 */
import { applyChanges, ARRAY_KINDS, type ArrayKey, type ResourceChange, type ResourceKind } from '../config/change-set';
import { presentSecrets, type SecretContext } from './secrets';
import type { GatewayConfig } from '../config/schema';
import type { Problem } from '../core/errors';

export interface ChangedParts {
  /** The changed and removed resources as they were, in their order in the old document. */
  readonly before: GatewayConfig;
  /** The changed and added resources as they are, in their order in the new document. */
  readonly after: GatewayConfig;
  /** A problem found in `after`, with its JSON pointer turned into the new document's. */
  inDocument(problem: Problem): Problem;
}

/** Above this many changes of one kind, old positions come from one index of the old array, not one search each. */
const INDEX_FROM = 32;

/** Documents holding only what `changes` (from `diffDocuments(before, after)`) touch; keys in `after`'s order. */
export function changedParts(before: GatewayConfig, after: GatewayConfig, changes: readonly ResourceChange[]): ChangedParts {
  const partBefore: Record<string, unknown> = {};
  const partAfter: Record<string, unknown> = {};
  const positions = new Map<string, number[]>();
  for (const key of Object.keys(after)) {
    partBefore[key] = key === 'plugins' ? {} : [];
    partAfter[key] = key === 'plugins' ? {} : [];
  }
  for (const [kind, key] of ARRAY_KINDS) {
    const mine = changes.filter((c) => c.kind === kind);
    if (!mine.length) continue;
    const puts = mine.filter((c) => c.body !== undefined).sort((a, b) => a.position! - b.position!);
    partAfter[key] = puts.map((c) => c.body);
    positions.set(key, puts.map((c) => c.position!));
    const old = before[key] as readonly { id: string }[];
    const index = mine.length > INDEX_FROM ? new Map(old.map((item, i) => [item.id, i])) : undefined;
    const oldAt = (id: string) => index?.get(id) ?? old.findIndex((item) => item.id === id);
    partBefore[key] = mine
      .filter((c) => c.previous !== undefined)
      .map((c) => [oldAt(c.id), c.previous] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, body]) => body);
  }
  for (const c of changes) {
    if (c.kind !== 'plugin') continue;
    if (c.previous !== undefined) (partBefore.plugins as Record<string, unknown>)[c.id] = c.previous;
    if (c.body !== undefined) (partAfter.plugins as Record<string, unknown>)[c.id] = c.body;
  }
  return {
    before: partBefore as unknown as GatewayConfig,
    after: partAfter as unknown as GatewayConfig,
    inDocument(problem) {
      const m = /^\/(routes|upstreams|consumers)\/(\d+)(?=\/|$)/.exec(problem.path);
      const at = m && positions.get(m[1]!)?.[Number(m[2])];
      return at === undefined || !m ? problem : { ...problem, path: `/${m[1]}/${at}${problem.path.slice(m[0].length)}` };
    },
  };
}

/**
 * A build's result that says what it changed: one resource put or removed by id, in place or at the
 * end, so the write need not diff the whole document to find it. Only code can make one (a JSON body
 * never is an instance), so a client cannot hand the service a change set of its own.
 */
export class KnownChange {
  constructor(
    readonly document: GatewayConfig,
    readonly changes: readonly ResourceChange[],
  ) {}

  /** `after` differs from `before` only in the resource `id` of document key `key` (put in place, appended or removed). */
  static ofOne(before: GatewayConfig, after: GatewayConfig, key: ArrayKey | 'plugins', id: string): KnownChange {
    if (key === 'plugins') {
      const has = (doc: GatewayConfig) => Object.prototype.hasOwnProperty.call(doc.plugins ?? {}, id);
      return new KnownChange(after, [{ kind: 'plugin', id, ...(has(after) ? { body: after.plugins[id] } : {}), ...(has(before) ? { previous: before.plugins[id] } : {}) }]);
    }
    const kind = ARRAY_KINDS.find(([, k]) => k === key)![0] as ResourceKind;
    const old = (before[key] as readonly { id: string }[]).findIndex((item) => item.id === id);
    const at = (after[key] as readonly { id: string }[]).findIndex((item) => item.id === id);
    return new KnownChange(after, [
      { kind, id, ...(at < 0 ? {} : { body: after[key][at], position: at }), ...(old < 0 ? {} : { previous: before[key][old] }) },
    ]);
  }
}

/** The placeholder view of `after` (made from `before` by `changes`) from the view of `before`: only the changed resources are copied. */
export function shownOver(ctx: SecretContext, beforeShown: GatewayConfig, before: GatewayConfig, after: GatewayConfig, changes: readonly ResourceChange[]): GatewayConfig {
  const shownAfter = presentSecrets(ctx, changedParts(before, after, changes).after, 'placeholder');
  const bodies = new Map<string, unknown>();
  for (const [kind, key] of ARRAY_KINDS) for (const item of shownAfter[key] as readonly { id: string }[]) bodies.set(`${kind}\0${item.id}`, item);
  for (const [name, slot] of Object.entries(shownAfter.plugins)) bodies.set(`plugin\0${name}`, slot);
  return applyChanges(
    beforeShown,
    changes.map((c) => (c.body === undefined ? c : { ...c, body: bodies.get(`${c.kind}\0${c.id}`) })),
  );
}
