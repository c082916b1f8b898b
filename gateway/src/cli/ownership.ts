/**
 * Partial ownership (`--select-tag`, like decK's select tags): the files own exactly the live
 * resources that carry the tag. The desired document is the live one with those resources replaced
 * by the files' (tagged ones the files no longer list are deleted); every other resource, and the
 * global plugin settings, stay as they are and where they are, so a no-op stays a no-op.
 */
import type { DesiredConfig } from './config-files';
import { CliError, type LocatedProblem } from './errors';

const KINDS = ['routes', 'upstreams', 'consumers'] as const;
type Kind = (typeof KINDS)[number];
type Item = Record<string, unknown> & { id?: unknown; tags?: unknown };
type Doc = DesiredConfig['document'];

export const hasTag = (item: Item, tag: string): boolean => Array.isArray(item.tags) && item.tags.includes(tag);

/** The document that owns only `tag`'s resources, and where each of its items came from in the files. */
export function ownedDocument(files: DesiredConfig, live: Doc, tag: string): { document: Doc; locate: DesiredConfig['locate'] } {
  const problems: LocatedProblem[] = [];
  if (files.hasGlobalPlugins)
    problems.push({ path: '/plugins', message: 'global plugin settings carry no tags, so --select-tag cannot own them.', fix: 'remove plugins from these files and apply them without --select-tag.', ...files.locate('/plugins') });
  const document: Doc = { routes: [], upstreams: [], consumers: [], plugins: live.plugins ?? {} };
  const fileIndex: Record<Kind, Map<number, number>> = { routes: new Map(), upstreams: new Map(), consumers: new Map() };
  for (const kind of KINDS) {
    const wanted = new Map<unknown, number>();
    files.document[kind].forEach((item, i) => {
      // Items in the files belong to the tag even when they do not say so (decK adds it the same way).
      if (!hasTag(item, tag)) files.document[kind][i] = { ...item, tags: [...(Array.isArray(item.tags) ? item.tags : []), tag] };
      wanted.set(item.id, i);
    });
    const placed = new Set<number>();
    const take = (i: number) => {
      fileIndex[kind].set(document[kind].length, i);
      document[kind].push(files.document[kind][i]!);
      placed.add(i);
    };
    for (const item of (live[kind] ?? []) as Item[]) {
      const i = wanted.get(item.id);
      if (!hasTag(item, tag)) {
        if (i !== undefined)
          problems.push({ path: `/${kind}/${i}/id`, message: `${kind.slice(0, -1)} "${String(item.id)}" exists without tag "${tag}", so these files do not own it.`, fix: `give it another id, or add tag "${tag}" to the live one first.`, ...files.locate(`/${kind}/${i}/id`) });
        document[kind].push(item);
      } else if (i !== undefined) take(i);
      // A live item with the tag that the files no longer list is deleted.
    }
    files.document[kind].forEach((_item, i) => placed.has(i) || take(i));
  }
  if (problems.length) throw new CliError(`the files cannot own tag "${tag}".`, problems);
  return {
    document,
    locate(pointer) {
      const [kind, index, ...rest] = pointer.split('/').slice(1);
      const i = fileIndex[kind as Kind]?.get(Number(index));
      return i === undefined ? undefined : files.locate(['', kind, i, ...rest].join('/'));
    },
  };
}

/** Only the resources with `tag` (global plugins left out): what `dump --select-tag` writes. */
export function taggedOnly(document: Doc, tag: string): Partial<Doc> {
  return Object.fromEntries(KINDS.map((k) => [k, ((document[k] ?? []) as Item[]).filter((item) => hasTag(item, tag))]));
}
