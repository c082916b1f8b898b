/**
 * Order keys: the config-order rank of each route as the router compares it (`candidate.order`). A
 * whole compile numbers routes 0, 1, 2, …; a change set gives each route it puts a key between the
 * keys of its neighbours in the new route list (the mean of the two), so inserting a route in the
 * middle never renumbers the others, and every comparison between two routes keeps its answer.
 * Unchanged routes keep their relative order in a change set (see config/change-set.ts), which is
 * what makes this sound. When a gap between two neighbours is too narrow for a double to split, the
 * caller renumbers by compiling whole.
 */
import type { RouteConfig } from '../../config/schema';

/**
 * Keys for `puts` (routes of `routes` that have no key yet), given the key of every other route of
 * `routes`; undefined when some gap cannot be split (renumber). `puts` must be distinct members of `routes`.
 */
export function orderKeysForPuts(
  routes: readonly RouteConfig[],
  puts: readonly RouteConfig[],
  keyOf: (route: RouteConfig) => number | undefined,
): Map<RouteConfig, number> | undefined {
  const keys = new Map<RouteConfig, number>();
  const at = puts.map((r) => ({ route: r, index: routes.indexOf(r) })).sort((a, b) => a.index - b.index);
  const known = (r: RouteConfig) => keys.get(r) ?? keyOf(r);
  for (const { route, index } of at) {
    if (index < 0) return undefined;
    const lower = index > 0 ? known(routes[index - 1]!) : undefined;
    let upper: number | undefined;
    // The next route that already has a key; puts in between get theirs after this one.
    for (let j = index + 1; j < routes.length && upper === undefined; j++) upper = keyOf(routes[j]!);
    const key = lower === undefined ? (upper === undefined ? 0 : upper - 1) : upper === undefined ? lower + 1 : lower + (upper - lower) / 2;
    if ((lower !== undefined && !(key > lower)) || (upper !== undefined && !(key < upper)) || !Number.isFinite(key)) return undefined;
    keys.set(route, key);
  }
  return keys;
}
