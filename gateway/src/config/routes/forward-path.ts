/**
 * The path a route forwards, built from the normalised request path and the matched parameters:
 * - `rewritePath` set: the template with `:name` replaced by the parameter's value and a final
 *   `/*` replaced by what followed the matched prefix (`/v2/*` on route `/v1/*` sends `/v1/a/b` as
 *   `/v2/a/b`). It replaces the whole path, so `stripPrefix` has no effect next to it;
 * - `stripPrefix`: the part after the matched `/prefix/*` (`/api/*` sends `/api/users` as `/users`
 *   and `/api` as `/`);
 * - otherwise the normalised request path unchanged.
 * Parameter values keep their percent-encoding. A rewritten path is normalised again, because a
 * value placed in a template (above all a regular expression group, which may capture any piece of
 * the path) can form a dot segment or split a percent-escape. Forwarding never fails: when the
 * rewritten path is not valid, `..` that would climb above the root is dropped (as RFC 3986 5.2.4
 * does) and segments that cannot be made valid are left out, so the result always stays inside the
 * route's own upstream and never throws on the hot path.
 */
import type { RouteConfig } from '../schema';
import { normalisePath } from './path';
import { REST_PARAM, type PathPattern } from './pattern';

export type ForwardPath = (normalisedPath: string, params: Readonly<Record<string, string>>) => string;

export type ForwardPathResult = { ok: true; forwardPath: ForwardPath } | { ok: false; message: string; fix: string };

const PLACEHOLDER = /:([A-Za-z_][A-Za-z0-9_]*)/g;

const unchanged: ForwardPath = (path) => path;
const afterPrefix: ForwardPath = (_path, params) => `/${params[REST_PARAM] ?? ''}`;

/** Builds a route's forward-path function, or says why its rewritePath cannot work. */
export function buildForwardPath(route: RouteConfig, patterns: readonly PathPattern[]): ForwardPathResult {
  if (route.rewritePath === undefined) return { ok: true, forwardPath: route.stripPrefix ? afterPrefix : unchanged };
  const normal = normalisePath(route.rewritePath);
  if (!normal.ok) return { ok: false, message: `rewritePath is not a valid path: ${normal.reason}.`, fix: 'write a plain path such as "/v2/users/:id".' };
  let template = normal.path;
  const withRest = template === '/*' || template.endsWith('/*');
  if (withRest) template = template.slice(0, -1);
  // Split into literal text and parameter names: [text, name, text, name, ..., text].
  const parts = template.split(PLACEHOLDER);
  const names = parts.filter((_, i) => i % 2 === 1);
  for (const pattern of patterns) {
    const missing = names.find((n) => !pattern.params.includes(n));
    if (missing !== undefined)
      return {
        ok: false,
        message: `rewritePath uses ":${missing}" but path "${pattern.source}" does not define it.`,
        fix: `define ":${missing}" in every path of the route (or a named group (?<${missing}>...) in a regular expression), or remove it from rewritePath.`,
      };
    if (withRest && !(pattern.kind === 'tree' && pattern.prefix))
      return {
        ok: false,
        message: `rewritePath ends in "/*" but path "${pattern.source}" is not a prefix path.`,
        fix: 'write every path of the route as "/prefix/*", or remove the final "/*" from rewritePath.',
      };
  }
  const forwardPath: ForwardPath = (_path, params) => {
    let out = parts[0];
    for (let i = 1; i < parts.length; i += 2) out += (params[parts[i]] ?? '') + parts[i + 1];
    if (withRest) out += params[REST_PARAM] ?? '';
    const result = normalisePath(out);
    return result.ok ? result.path : salvagePath(out);
  };
  return { ok: true, forwardPath };
}

/** Canonical path from a rewritten one that failed normalisation: climbing `..` and invalid segments dropped. */
export function salvagePath(path: string): string {
  const kept: string[] = [];
  const raw = path.slice(path.startsWith('/') ? 1 : 0).split('/');
  raw.forEach((segment) => {
    if (segment === '' || segment === '.') return;
    const one = normalisePath(`/${segment}`);
    if (one.ok) {
      if (one.path !== '/') kept.push(one.path.slice(1));
    } else if (normalisePath(`/x/${segment}`).ok) {
      // Only a `..` (in any spelling) is valid below a segment but not at the root.
      kept.pop();
    }
  });
  const trailing = path.endsWith('/') && kept.length > 0;
  return `/${kept.join('/')}${trailing ? '/' : ''}`;
}
