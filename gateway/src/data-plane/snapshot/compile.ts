/**
 * Compiles a validated config into an immutable `Snapshot`: router, upstream pools (through the
 * target registry, so live connections and health carry over), resolved timeouts, forward paths and
 * plugin chains. Validation already reports what would keep a route from compiling; handed an
 * unvalidated config anyway, the compiler collects every such problem and throws them together as
 * one GW_ERR_CONFIG_INVALID error before any upstream pool is touched.
 */
import type { GatewayConfig } from '../../config/schema';
import { GatehouseError, type Problem } from '../../core/errors';
import { EMPTY_CHAIN, type PluginChainFactory } from '../../plugins/contract';
import type { CompiledRoute, Snapshot, UpstreamPool } from '../types';
import type { TargetLease, TargetRegistry } from '../upstream/target-registry';
import { resolveTimeouts } from '../upstream/timeouts';
import { routeCandidate } from './candidate';
import { planRoute, type RoutePlan } from '../../config/routes/route-plan';
import type { PluginConfigChecker } from '../../config/validate';
import { Router } from './router';

export interface SnapshotMeta {
  readonly version: number;
  readonly checksum: string;
}

export interface SnapshotDeps {
  readonly targets: TargetRegistry;
  readonly plugins?: PluginChainFactory;
  /**
   * The route plans validation returned for this config, in route order (`validateConfig`); without
   * them the compiler plans the routes itself.
   */
  readonly routePlans?: readonly RoutePlan[];
  /** The checker that filled the config's plugin slots (`validateConfig`); chains are then built from them as they are. */
  readonly pluginsCheckedBy?: PluginConfigChecker;
}

/** Compiles a validated, defaults-filled config; throws GW_ERR_CONFIG_INVALID listing every problem. */
export function compileSnapshot(config: GatewayConfig, meta: SnapshotMeta, deps: SnapshotDeps): Snapshot {
  const problems: Problem[] = [];
  const upstreamIds = new Set(config.upstreams.map((u) => u.id));
  const planned = deps.routePlans?.length === config.routes.length ? deps.routePlans : undefined;
  const plans: RoutePlan[] = [];
  config.routes.forEach((route, i) => {
    if (!upstreamIds.has(route.upstream))
      problems.push({
        path: `/routes/${i}/upstream`,
        message: `upstream "${route.upstream}" does not exist.`,
        fix: `define an upstream with id "${route.upstream}" or reference an existing one.`,
      });
    // The config may be a copy of the validated one (secrets resolved): the route is taken from it.
    const plan = planned ? { ...planned[i]!, config: route } : planRoute(route, i, problems);
    if (plan) plans.push(plan);
  });
  if (problems.length > 0) throw new GatehouseError('GW_ERR_CONFIG_INVALID', `${problems.length} problem(s) found while compiling.`, problems);

  const lease = deps.targets.lease();
  try {
    const snapshot = build(config, meta, deps, plans, lease);
    lease.bind(snapshot);
    return snapshot;
  } catch (err) {
    lease.abandon();
    throw err;
  }
}

function build(config: GatewayConfig, meta: SnapshotMeta, deps: SnapshotDeps, plans: readonly RoutePlan[], lease: TargetLease): Snapshot {
  const upstreams = new Map<string, UpstreamPool>();
  const upstreamConfigs = new Map(config.upstreams.map((u) => [u.id, u]));
  for (const u of config.upstreams) upstreams.set(u.id, lease.upstreamPool(u));

  const router = new Router();
  plans.forEach((plan, order) => {
    const route = plan.config;
    const compiled: CompiledRoute = Object.freeze({
      id: route.id,
      config: route,
      upstream: upstreams.get(route.upstream)!,
      timeouts: resolveTimeouts(route.timeouts, upstreamConfigs.get(route.upstream)?.timeouts),
      plugins: deps.plugins ? deps.plugins.forRoute(route, config, deps.pluginsCheckedBy) : EMPTY_CHAIN,
      forwardPath: plan.forwardPath,
    });
    const candidate = routeCandidate(compiled, order);
    for (const pattern of plan.patterns) router.add(pattern, candidate, route.hosts);
  });
  router.seal();

  const snapshot: Snapshot = Object.freeze({
    version: meta.version,
    checksum: meta.checksum,
    config,
    routeCount: config.routes.length,
    match: (method: string, host: string | undefined, path: string, headers: Parameters<Snapshot['match']>[3]) =>
      router.match(method, host, path, headers),
    upstream: (id: string) => upstreams.get(id),
  });
  return snapshot;
}
