/**
 * Route path patterns, parsed once at compile time:
 * - `/exact`: the path, exactly (after normalisation; a trailing slash is significant);
 * - `/prefix/*`: `/prefix` itself and everything below it (`/prefixes` does not match); the rest
 *   of the path after the prefix is the `*` parameter;
 * - `/users/:id`: a named parameter takes one whole, non-empty segment;
 * - `~regex`: a regular expression (RE2 syntax, matched in linear time; see config/regex.ts) over
 *   the normalised path; named groups become parameters. Regular expressions are tried after every radix-tree pattern.
 * Static segments are normalised like request paths, so `/caf%c3%a9` matches a request for `/caf%C3%A9`.
 */
import { compileRegex, type ConfigRegex } from '../regex';
import { normalisePath } from './path';

/** One segment of a tree pattern: a literal or a named parameter. */
export type PatternSegment = { readonly literal: string } | { readonly param: string };

export type PathPattern =
  | {
      readonly kind: 'tree';
      readonly source: string;
      readonly segments: readonly PatternSegment[];
      /** True for `/prefix/*`. */
      readonly prefix: boolean;
      /** Names of the parameters, in segment order (plus `*` for a prefix). */
      readonly params: readonly string[];
    }
  | { readonly kind: 'regex'; readonly source: string; readonly regex: ConfigRegex; readonly params: readonly string[] };

export type ParsedPattern = { ok: true; pattern: PathPattern } | { ok: false; message: string; fix: string };

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAMED_GROUP = /\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g;

/** Name of the parameter holding what follows the prefix of a `/prefix/*` pattern. */
export const REST_PARAM = '*';

/** Parses one entry of a route's `paths`. */
export function parsePattern(source: string): ParsedPattern {
  if (source.startsWith('~')) {
    const compiled = compileRegex(source.slice(1));
    if (!compiled.ok) return compiled;
    const regex = compiled.regex;
    const params = [...source.matchAll(NAMED_GROUP)].map((m) => m[1]);
    return { ok: true, pattern: { kind: 'regex', source, regex, params } };
  }
  const prefix = source === '/*' || source.endsWith('/*');
  const base = prefix ? source.slice(0, -2) || '/' : source;
  if (base.includes('*'))
    return { ok: false, message: `path "${source}" has "*" somewhere other than a final "/*".`, fix: 'use "*" only as the last segment, e.g. "/api/*".' };
  const normal = normalisePath(base);
  if (!normal.ok)
    return { ok: false, message: `path "${source}" is not a valid path: ${normal.reason}.`, fix: 'write a plain path such as "/api/users".' };
  const parts = prefix && normal.path === '/' ? [] : normal.path.slice(1).split('/');
  const params: string[] = [];
  const segments: PatternSegment[] = [];
  for (const part of parts) {
    if (!part.startsWith(':')) {
      segments.push({ literal: part });
      continue;
    }
    const name = part.slice(1);
    if (!PARAM_NAME.test(name))
      return {
        ok: false,
        message: `parameter "${part}" in "${source}" is not a valid name.`,
        fix: 'name parameters with letters, digits and "_" (e.g. "/users/:user_id"); a parameter takes a whole segment.',
      };
    if (params.includes(name))
      return { ok: false, message: `parameter ":${name}" appears twice in "${source}".`, fix: 'give each parameter its own name.' };
    params.push(name);
    segments.push({ param: name });
  }
  if (prefix) params.push(REST_PARAM);
  return { ok: true, pattern: { kind: 'tree', source, segments, prefix, params } };
}
