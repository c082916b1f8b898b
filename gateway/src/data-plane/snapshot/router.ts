/**
 * The router of a snapshot. Precedence, from strongest to weakest:
 * 1. host: routes listing the exact request host, then wildcard hosts (`*.example.com` matches
 *    `a.example.com` and `a.b.example.com` but not `example.com`; the longest suffix first), then
 *    routes without hosts. A host tier with no accepted route falls through to the next tier;
 * 2. path: the most specific pattern (see `path-index.ts`: literal over parameter over prefix,
 *    longest prefix first), regular expressions after every tree pattern;
 * 3. priority: higher first among routes with the same pattern;
 * 4. config order: earlier first (the candidates' order keys, see `route-order.ts`).
 * Methods and header conditions are checked on each candidate in that order; a mismatch falls
 * through to the next candidate, so `GET /api/users` can reach `/api/*` when `/api/users` only
 * takes POST. Host names compare case-insensitively, without port or trailing dot.
 *
 * A router is immutable: `Router.build` indexes a whole route list, `withChanges` returns a new
 * router that shares every host tier and tree node the changes do not touch.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteMatch } from '../types';
import type { RouteCandidate } from './candidate';
import { PathIndex, type IndexedPattern } from './path-index';
import type { PathPattern } from '../../config/routes/pattern';
import { PersistentMap } from '../../core/persistent-map';

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

/** One path pattern of a route with the route's hosts: what the router indexes. */
export interface RoutedPattern {
  readonly pattern: PathPattern;
  readonly candidate: RouteCandidate;
  readonly hosts: readonly string[] | undefined;
}

/** `exact:` / `wild:` + key, or `any`: the host tier a pattern goes to, one entry per distinct host. */
type TierKey = string;
const ANY: TierKey = 'any';

function tiersOf(hosts: readonly string[] | undefined): TierKey[] {
  if (!hosts || hosts.length === 0) return [ANY];
  return [...new Set(hosts.map((h) => h.toLowerCase()))].map((raw) => (raw.startsWith('*.') ? `wild:${raw.slice(1)}` : `exact:${raw}`));
}

function grouped(items: readonly RoutedPattern[]): Map<TierKey, IndexedPattern[]> {
  const out = new Map<TierKey, IndexedPattern[]>();
  for (const { pattern, candidate, hosts } of items)
    for (const tier of tiersOf(hosts)) {
      let list = out.get(tier);
      if (!list) out.set(tier, (list = []));
      list.push({ pattern, candidate });
    }
  return out;
}

export class Router {
  static readonly EMPTY = new Router(PersistentMap.empty(), PersistentMap.empty(), PathIndex.EMPTY);

  private constructor(
    private readonly exactHosts: PersistentMap<PathIndex>,
    /** Keyed by suffix with its dot: `*.example.com` → `.example.com`. */
    private readonly wildcardHosts: PersistentMap<PathIndex>,
    private readonly anyHost: PathIndex,
  ) {}

  /** A router of every pattern in `patterns`. */
  static build(patterns: readonly RoutedPattern[]): Router {
    return Router.EMPTY.withChanges(patterns, [], true);
  }

  /**
   * A new router with `removes` taken out and `adds` added; this one is unchanged. A removal must be
   * a pattern this router holds with the same candidate. `whole`: the tiers are new (built, not updated).
   */
  withChanges(adds: readonly RoutedPattern[], removes: readonly RoutedPattern[], whole = false): Router {
    const added = grouped(adds);
    const taken = grouped(removes);
    let exact = this.exactHosts;
    let wild = this.wildcardHosts;
    let any = this.anyHost;
    for (const tier of new Set([...added.keys(), ...taken.keys()])) {
      const a = added.get(tier) ?? [];
      const r = taken.get(tier) ?? [];
      if (tier === ANY) {
        any = whole ? PathIndex.build(a) : any.withChanges(a, r);
        continue;
      }
      const isWild = tier.startsWith('wild:');
      const key = tier.slice(isWild ? 5 : 6);
      const table = isWild ? wild : exact;
      const current = table.get(key);
      const next = whole || !current ? PathIndex.build(a) : current.withChanges(a, r);
      const updated = next.isEmpty ? table.delete(key) : table.set(key, next);
      if (isWild) wild = updated;
      else exact = updated;
    }
    return new Router(exact, wild, any);
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
