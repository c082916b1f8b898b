/**
 * Compiles a validated config into an immutable `Snapshot`: router, upstream pools (through the
 * target registry, so live connections and health carry over), resolved timeouts, forward paths and
 * plugin chains. Validation already reports what would keep a route from compiling; handed an
 * unvalidated config anyway, the compiler collects every such problem and throws them together as
 * one GW_ERR_CONFIG_INVALID error before any upstream pool is touched.
 *
 * Compilation is one generator that pauses after every route: `compileSnapshot` runs it through,
 * `compileSnapshotInSlices` runs it in slices of a few milliseconds and yields the event loop between
 * them, so a large config never holds up a request for longer than one slice. Given the snapshot it
 * replaces, routes whose config object, global plugins and consumers are unchanged keep their plugin
 * chain (the costly part), so a change set compiles its changed routes only.
 */
import { runInSlices, runThrough } from '../../core/slices';
import type { GatewayConfig, RouteConfig } from '../../config/schema';
import { GatehouseError, type Problem } from '../../core/errors';
import { EMPTY_CHAIN, type PluginChainFactory } from '../../plugins/contract';
import type { CompiledRoute, Snapshot, UpstreamPool } from '../types';
import type { TargetLease, TargetRegistry } from '../upstream/target-registry';
import { resolveTimeouts } from '../upstream/timeouts';
import { routeCandidate } from './candidate';
import { planRoute, type RoutePlan } from '../../config/routes/route-plan';
import type { PluginConfigChecker } from '../../config/validate';
import { Router } from './router';

/** What a later compilation can reuse of a snapshot: its compiled routes by route config object. */
interface Reusable {
  readonly config: GatewayConfig;
  readonly plugins: PluginChainFactory | undefined;
  readonly routes: WeakMap<RouteConfig, CompiledRoute>;
}
const reusable = new WeakMap<Snapshot, Reusable>();

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
  /** The snapshot this one replaces: unchanged routes keep its plugin chains. */
  readonly previous?: Snapshot;
}

/** Compiles a validated, defaults-filled config; throws GW_ERR_CONFIG_INVALID listing every problem. */
export function compileSnapshot(config: GatewayConfig, meta: SnapshotMeta, deps: SnapshotDeps): Snapshot {
  return runThrough(compileSteps(config, meta, deps));
}

/** The same compilation in slices of about `sliceMs`, yielding the event loop between them. */
export function compileSnapshotInSlices(config: GatewayConfig, meta: SnapshotMeta, deps: SnapshotDeps, sliceMs?: number): Promise<Snapshot> {
  return runInSlices(compileSteps(config, meta, deps), sliceMs);
}

/** Yields once per route planned and once per route compiled; returns the snapshot. */
function* compileSteps(config: GatewayConfig, meta: SnapshotMeta, deps: SnapshotDeps): Generator<void, Snapshot> {
  const problems: Problem[] = [];
  const upstreamIds = new Set(config.upstreams.map((u) => u.id));
  const planned = deps.routePlans?.length === config.routes.length ? deps.routePlans : undefined;
  const plans: RoutePlan[] = [];
  for (let i = 0; i < config.routes.length; i++) {
    const route = config.routes[i]!;
    if (!upstreamIds.has(route.upstream))
      problems.push({
        path: `/routes/${i}/upstream`,
        message: `upstream "${route.upstream}" does not exist.`,
        fix: `define an upstream with id "${route.upstream}" or reference an existing one.`,
      });
    // The config may be a copy of the validated one (secrets resolved): the route is taken from it.
    const plan = planned ? { ...planned[i]!, config: route } : planRoute(route, i, problems);
    if (plan) plans.push(plan);
    if (!planned) yield;
  }
  if (problems.length > 0) throw new GatehouseError('GW_ERR_CONFIG_INVALID', `${problems.length} problem(s) found while compiling.`, problems);

  const lease = deps.targets.lease();
  try {
    const snapshot = yield* build(config, meta, deps, plans, lease);
    lease.bind(snapshot);
    return snapshot;
  } catch (err) {
    lease.abandon();
    throw err;
  }
}

function* build(config: GatewayConfig, meta: SnapshotMeta, deps: SnapshotDeps, plans: readonly RoutePlan[], lease: TargetLease): Generator<void, Snapshot> {
  const upstreams = new Map<string, UpstreamPool>();
  const upstreamConfigs = new Map(config.upstreams.map((u) => [u.id, u]));
  for (const u of config.upstreams) upstreams.set(u.id, lease.upstreamPool(u));

  // Chains depend on the route, the global plugin slots and the consumers (credential indexes).
  const before = deps.previous && reusable.get(deps.previous);
  const chains = before && before.plugins === deps.plugins && before.config.plugins === config.plugins && before.config.consumers === config.consumers ? before.routes : undefined;
  const routes = new WeakMap<RouteConfig, CompiledRoute>();
  const router = new Router();
  for (let order = 0; order < plans.length; order++) {
    const plan = plans[order]!;
    const route = plan.config;
    const compiled: CompiledRoute = Object.freeze({
      id: route.id,
      config: route,
      upstream: upstreams.get(route.upstream)!,
      timeouts: resolveTimeouts(route.timeouts, upstreamConfigs.get(route.upstream)?.timeouts),
      plugins: chains?.get(route)?.plugins ?? (deps.plugins ? deps.plugins.forRoute(route, config, deps.pluginsCheckedBy) : EMPTY_CHAIN),
      forwardPath: plan.forwardPath,
    });
    routes.set(route, compiled);
    const candidate = routeCandidate(compiled, order);
    for (const pattern of plan.patterns) router.add(pattern, candidate, route.hosts);
    yield;
  }
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
  reusable.set(snapshot, { config, plugins: deps.plugins, routes });
  return snapshot;
}
