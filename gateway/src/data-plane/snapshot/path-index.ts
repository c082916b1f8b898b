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
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ConfigRegex } from '../../config/regex';
import type { RouteMatch } from '../types';
import { byPrecedence, type RouteCandidate } from './candidate';
import { REST_PARAM, type PathPattern } from '../../config/routes/pattern';

interface TreeEntry {
  readonly candidate: RouteCandidate;
  /** Parameter names in segment order (without `*`). */
  readonly params: readonly string[];
}

interface RegexEntry {
  readonly candidate: RouteCandidate;
  readonly regex: ConfigRegex;
}

class TreeNode {
  literals: Map<string, TreeNode> | undefined;
  param: TreeNode | undefined;
  /** Patterns ending exactly here. */
  exact: TreeEntry[] | undefined;
  /** `/*` patterns whose prefix ends here. */
  prefix: TreeEntry[] | undefined;
}

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

export class PathIndex {
  private readonly root = new TreeNode();
  private readonly regexes: RegexEntry[] = [];
  private size = 0;

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** Adds one path pattern of a route. */
  add(pattern: PathPattern, candidate: RouteCandidate): void {
    this.size++;
    if (pattern.kind === 'regex') {
      this.regexes.push({ candidate, regex: pattern.regex });
      return;
    }
    let node = this.root;
    for (const segment of pattern.segments) {
      if ('param' in segment) {
        node = node.param ??= new TreeNode();
      } else {
        const literals = (node.literals ??= new Map());
        let next = literals.get(segment.literal);
        if (!next) {
          next = new TreeNode();
          literals.set(segment.literal, next);
        }
        node = next;
      }
    }
    const entry: TreeEntry = { candidate, params: pattern.params.filter((p) => p !== REST_PARAM) };
    if (pattern.prefix) (node.prefix ??= []).push(entry);
    else (node.exact ??= []).push(entry);
  }

  /** Orders every candidate list by precedence; call once after the last `add`. */
  seal(): void {
    const visit = (node: TreeNode): void => {
      node.exact?.sort(byPrecedence);
      node.prefix?.sort(byPrecedence);
      node.literals?.forEach(visit);
      if (node.param) visit(node.param);
    };
    visit(this.root);
    this.regexes.sort(byPrecedence);
  }

  /** The best accepted route for a normalised path split into segments, or undefined. */
  match(method: string, path: string, segments: readonly string[], headers: IncomingHttpHeaders): RouteMatch | undefined {
    const found = this.walk(this.root, segments, 0, [], method, headers);
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
