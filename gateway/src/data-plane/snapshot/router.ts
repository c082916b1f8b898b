/**
 * The router of a snapshot. Precedence, from strongest to weakest:
 * 1. host: routes listing the exact request host, then wildcard hosts (`*.example.com` matches
 *    `a.example.com` and `a.b.example.com` but not `example.com`; the longest suffix first), then
 *    routes without hosts. A host tier with no accepted route falls through to the next tier;
 * 2. path: the most specific pattern (see `path-index.ts`: literal over parameter over prefix,
 *    longest prefix first), regular expressions after every tree pattern;
 * 3. priority: higher first among routes with the same pattern;
 * 4. config order: earlier first.
 * Methods and header conditions are checked on each candidate in that order; a mismatch falls
 * through to the next candidate, so `GET /api/users` can reach `/api/*` when `/api/users` only
 * takes POST. Host names compare case-insensitively, without port or trailing dot.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteMatch } from '../types';
import type { RouteCandidate } from './candidate';
import { PathIndex } from './path-index';
import type { PathPattern } from '../../config/routes/pattern';

/** `Example.COM:8080` → `example.com`; `[::1]:80` → `::1`. */
export function hostName(hostHeader: string): string {
  let host = hostHeader;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end > 0 ? host.slice(1, end) : host;
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.toLowerCase();
}

export class Router {
  private readonly exactHosts = new Map<string, PathIndex>();
  /** Keyed by suffix with its dot: `*.example.com` → `.example.com`. */
  private readonly wildcardHosts = new Map<string, PathIndex>();
  private readonly anyHost = new PathIndex();

  /** Registers one path pattern of a route under each of the route's hosts. */
  add(pattern: PathPattern, candidate: RouteCandidate, hosts: readonly string[] | undefined): void {
    if (!hosts || hosts.length === 0) {
      this.anyHost.add(pattern, candidate);
      return;
    }
    for (const raw of new Set(hosts.map((h) => h.toLowerCase()))) {
      const wildcard = raw.startsWith('*.');
      const table = wildcard ? this.wildcardHosts : this.exactHosts;
      const key = wildcard ? raw.slice(1) : raw;
      let index = table.get(key);
      if (!index) {
        index = new PathIndex();
        table.set(key, index);
      }
      index.add(pattern, candidate);
    }
  }

  /** Sorts candidates; call once after the last `add`. */
  seal(): void {
    this.exactHosts.forEach((i) => i.seal());
    this.wildcardHosts.forEach((i) => i.seal());
    this.anyHost.seal();
  }

  /** Routes a request; `path` must be normalised. */
  match(method: string, hostHeader: string | undefined, path: string, headers: IncomingHttpHeaders): RouteMatch | undefined {
    const segments = path.slice(1).split('/');
    if (hostHeader && (this.exactHosts.size > 0 || this.wildcardHosts.size > 0)) {
      const host = hostName(hostHeader);
      const exact = this.exactHosts.get(host);
      if (exact) {
        const m = exact.match(method, path, segments, headers);
        if (m) return m;
      }
      if (this.wildcardHosts.size > 0) {
        for (let dot = host.indexOf('.'); dot > 0; dot = host.indexOf('.', dot + 1)) {
          const index = this.wildcardHosts.get(host.slice(dot));
          if (!index) continue;
          const m = index.match(method, path, segments, headers);
          if (m) return m;
        }
      }
    }
    return this.anyHost.isEmpty ? undefined : this.anyHost.match(method, path, segments, headers);
  }
}
