/**
 * The routes of one host tier, indexed by path: a segment radix tree for exact, parameter and
 * prefix patterns, then a list of regular expressions.
 *
 * The tree is walked segment by segment, preferring at each level a literal child, then a parameter
 * child, then a prefix (`/*`) ending at that level, backtracking when a branch yields no accepted
 * candidate. So the most specific pattern is tried first (literal over parameter over prefix,
 * deciding at the leftmost segment where they differ, longest prefix first), and a route whose
 * method or headers do not match falls through to the next most specific one. Matching costs one
 * map lookup per segment; backtracking only happens when a branch has no accepted route.
 *
 * An index is immutable once built. `PathIndex.build` builds one from a whole route list;
 * `withChanges` returns a new index with some candidates added and removed, copying only the nodes on
 * the path from the root to each change (structural sharing), so the index of a running snapshot is
 * never touched by an update.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ConfigRegex } from '../../config/regex';
import type { RouteMatch } from '../types';
import { byPrecedence, type RouteCandidate } from './candidate';
import { REST_PARAM, type PathPattern } from '../../config/routes/pattern';
import { PersistentMap } from '../../core/persistent-map';

interface TreeEntry {
  readonly candidate: RouteCandidate;
  /** Parameter names in segment order (without `*`). */
  readonly params: readonly string[];
}

interface RegexEntry {
  readonly candidate: RouteCandidate;
  readonly regex: ConfigRegex;
}

interface TreeNode {
  readonly literals: PersistentMap<TreeNode> | undefined;
  readonly param: TreeNode | undefined;
  /** Patterns ending exactly here, by precedence. */
  readonly exact: readonly TreeEntry[] | undefined;
  /** `/*` patterns whose prefix ends here, by precedence. */
  readonly prefix: readonly TreeEntry[] | undefined;
}

/** A node while a whole index is built: mutable, turned into a `TreeNode` once complete. */
interface BuildNode {
  literals?: Map<string, BuildNode>;
  param?: BuildNode;
  exact?: TreeEntry[];
  prefix?: TreeEntry[];
}

/** One pattern of one route, as added to or removed from an index. */
export interface IndexedPattern {
  readonly pattern: PathPattern;
  readonly candidate: RouteCandidate;
}

const EMPTY_NODE: TreeNode = { literals: undefined, param: undefined, exact: undefined, prefix: undefined };

type Params = Record<string, string>;

function accept(
  entries: readonly TreeEntry[],
  values: readonly string[],
  rest: string | undefined,
  method: string,
  headers: IncomingHttpHeaders,
): RouteMatch | undefined {
  for (const entry of entries) {
    if (!entry.candidate.accepts(method, headers)) continue;
    const params: Params = Object.create(null) as Params;
    for (let i = 0; i < entry.params.length; i++) params[entry.params[i]] = values[i];
    if (rest !== undefined) params[REST_PARAM] = rest;
    return { route: entry.candidate.route, params };
  }
  return undefined;
}

function treeEntry(pattern: PathPattern, candidate: RouteCandidate): TreeEntry {
  return { candidate, params: pattern.params.filter((p) => p !== REST_PARAM) };
}

function frozen(node: BuildNode): TreeNode {
  let literals: PersistentMap<TreeNode> | undefined;
  if (node.literals) {
    const children = new Map<string, TreeNode>();
    for (const [k, child] of node.literals) children.set(k, frozen(child));
    literals = PersistentMap.from(children);
  }
  return { literals, param: node.param && frozen(node.param), exact: node.exact?.sort(byPrecedence), prefix: node.prefix?.sort(byPrecedence) };
}

/** `list` with `entry` inserted at its precedence (a new array). */
function inserted<T extends { candidate: RouteCandidate }>(list: readonly T[] | undefined, entry: T): T[] {
  const out = list ? list.slice() : [];
  let lo = 0;
  let hi = out.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byPrecedence(out[mid]!, entry) <= 0) lo = mid + 1;
    else hi = mid;
  }
  out.splice(lo, 0, entry);
  return out;
}

/** `list` without `candidate`'s entry; undefined when nothing is left. */
function removed<T extends { candidate: RouteCandidate }>(list: readonly T[] | undefined, candidate: RouteCandidate): readonly T[] | undefined {
  if (!list) return undefined;
  const out = list.filter((e) => e.candidate !== candidate);
  return out.length > 0 ? out : undefined;
}

function emptyNode(n: TreeNode): boolean {
  return !n.literals && !n.param && !n.exact && !n.prefix;
}

/** The node with `change` applied at the end of `pattern`, copying the path to it; undefined when the result is empty. */
function updated(node: TreeNode | undefined, pattern: PathPattern & { kind: 'tree' }, at: number, change: (n: TreeNode) => TreeNode): TreeNode | undefined {
  const base = node ?? EMPTY_NODE;
  let next: TreeNode;
  if (at === pattern.segments.length) next = change(base);
  else {
    const segment = pattern.segments[at]!;
    if ('param' in segment) next = { ...base, param: updated(base.param, pattern, at + 1, change) };
    else {
      const child = updated(base.literals?.get(segment.literal), pattern, at + 1, change);
      const literals = child ? (base.literals ?? PersistentMap.empty<TreeNode>()).set(segment.literal, child) : base.literals?.delete(segment.literal);
      next = { ...base, literals: literals && literals.size > 0 ? literals : undefined };
    }
  }
  return emptyNode(next) ? undefined : next;
}

export class PathIndex {
  static readonly EMPTY = new PathIndex(undefined, []);

  private constructor(
    private readonly root: TreeNode | undefined,
    private readonly regexes: readonly RegexEntry[],
  ) {}

  /** An index of every pattern in `patterns`. */
  static build(patterns: readonly IndexedPattern[]): PathIndex {
    const root: BuildNode = {};
    const regexes: RegexEntry[] = [];
    for (const { pattern, candidate } of patterns) {
      if (pattern.kind === 'regex') {
        regexes.push({ candidate, regex: pattern.regex });
        continue;
      }
      let node = root;
      for (const segment of pattern.segments) {
        if ('param' in segment) node = node.param ??= {};
        else {
          const literals = (node.literals ??= new Map());
          let next = literals.get(segment.literal);
          if (!next) {
            next = {};
            literals.set(segment.literal, next);
          }
          node = next;
        }
      }
      (pattern.prefix ? (node.prefix ??= []) : (node.exact ??= [])).push(treeEntry(pattern, candidate));
    }
    const tree = frozen(root);
    return new PathIndex(emptyNode(tree) ? undefined : tree, regexes.sort(byPrecedence));
  }

  get isEmpty(): boolean {
    return !this.root && this.regexes.length === 0;
  }

  /** A new index with `removes` taken out and `adds` added; this one is unchanged. Each removal names a candidate this index holds for that pattern. */
  withChanges(adds: readonly IndexedPattern[], removes: readonly IndexedPattern[]): PathIndex {
    let root = this.root;
    let regexes = this.regexes;
    for (const { pattern, candidate } of removes) {
      if (pattern.kind === 'regex') regexes = removed(regexes, candidate) ?? [];
      else
        root = updated(root, pattern, 0, (n) =>
          pattern.prefix ? { ...n, prefix: removed(n.prefix, candidate) } : { ...n, exact: removed(n.exact, candidate) },
        );
    }
    for (const { pattern, candidate } of adds) {
      if (pattern.kind === 'regex') regexes = inserted(regexes, { candidate, regex: pattern.regex });
      else {
        const entry = treeEntry(pattern, candidate);
        root = updated(root, pattern, 0, (n) => (pattern.prefix ? { ...n, prefix: inserted(n.prefix, entry) } : { ...n, exact: inserted(n.exact, entry) }));
      }
    }
    return new PathIndex(root, regexes);
  }

  /** The best accepted route for a normalised path split into segments, or undefined. */
  match(method: string, path: string, segments: readonly string[], headers: IncomingHttpHeaders): RouteMatch | undefined {
    const found = this.root && this.walk(this.root, segments, 0, [], method, headers);
    if (found) return found;
    for (const entry of this.regexes) {
      const groups = entry.regex.namedGroups(path);
      if (!groups || !entry.candidate.accepts(method, headers)) continue;
      const params: Params = Object.create(null) as Params;
      for (const [k, v] of Object.entries(groups)) if (v !== undefined) params[k] = v;
      return { route: entry.candidate.route, params };
    }
    return undefined;
  }

  private walk(
    node: TreeNode,
    segments: readonly string[],
    at: number,
    values: string[],
    method: string,
    headers: IncomingHttpHeaders,
  ): RouteMatch | undefined {
    if (at === segments.length) {
      if (node.exact) {
        const m = accept(node.exact, values, undefined, method, headers);
        if (m) return m;
      }
      return node.prefix ? accept(node.prefix, values, '', method, headers) : undefined;
    }
    const segment = segments[at];
    const literal = node.literals?.get(segment);
    if (literal) {
      const m = this.walk(literal, segments, at + 1, values, method, headers);
      if (m) return m;
    }
    if (node.param && segment !== '') {
      values.push(segment);
      const m = this.walk(node.param, segments, at + 1, values, method, headers);
      values.pop();
      if (m) return m;
    }
    return node.prefix ? accept(node.prefix, values, segments.slice(at).join('/'), method, headers) : undefined;
  }
}
