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
 * replaces, routes whose config object and global plugins are unchanged keep their plugin chain (the
 * costly part); given also the routes a change set removed and put, the previous router is updated
 * copy-on-write for those only. Credentials live in one consumer index per document, shared by every
 * chain and updated for the consumers a change set names.
 */
import { runInSlices, runThrough } from '../../core/slices';
import type { ConsumerConfig, GatewayConfig, RouteConfig } from '../../config/schema';
import type { PathPattern } from '../../config/routes/pattern';
import { GatehouseError, type Problem } from '../../core/errors';
import { EMPTY_CHAIN, EMPTY_CONSUMER_INDEX, type ConsumerIndex, type PluginChain, type PluginChainFactory } from '../../plugins/contract';
import type { CompiledRoute, Snapshot, UpstreamPool } from '../types';
import type { TargetLease, TargetRegistry } from '../upstream/target-registry';
import { resolveTimeouts } from '../upstream/timeouts';
import { routeCandidate, type RouteCandidate } from './candidate';
import { orderKeysForPuts } from './route-order';
import { planRoute, type RoutePlan } from '../../config/routes/route-plan';
import type { PluginConfigChecker } from '../../config/validate';
import { Router, type RoutedPattern } from './router';

/** One compiled route as the router indexes it. */
interface IndexedRoute {
  readonly compiled: CompiledRoute;
  readonly candidate: RouteCandidate;
  readonly patterns: readonly PathPattern[];
}

/**
 * What a later compilation can reuse of a snapshot. `routes` is shared along a line of snapshots
 * updated by change sets (entries are only added: a route config object is never mutated, so its
 * compiled route and order key stay right for as long as the line shares upstreams and chains); a
 * whole compile starts a new one.
 */
interface Reusable {
  readonly config: GatewayConfig;
  readonly plugins: PluginChainFactory | undefined;
  readonly routes: WeakMap<RouteConfig, IndexedRoute>;
  readonly router: Router;
  readonly upstreams: ReadonlyMap<string, UpstreamPool>;
  readonly consumers: ConsumerIndex;
}
const reusable = new WeakMap<Snapshot, Reusable>();

/** Above this many routes put in one change set, a whole compile is as cheap as updating the router. */
const MAX_INCREMENTAL_PUTS = 256;

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
  /**
   * What changed in the route list since `previous` (route config objects; unchanged routes are the
   * same objects in both): with it, and when upstreams, global plugins and consumers are the same
   * objects, the compile updates `previous`'s router copy-on-write instead of indexing every route.
   */
  readonly routeChanges?: RouteChanges;
  /** What changed in the consumer list since `previous` (consumer config objects): its consumer index is updated for them only. */
  readonly consumerChanges?: ConsumerChanges;
}

/** What a change set changed, for a compile that updates the previous snapshot. */
export interface SnapshotChanges {
  readonly routeChanges?: RouteChanges;
  readonly consumerChanges?: ConsumerChanges;
}

/** Consumers a change set removed or replaced (objects of the previous config) and put (objects of the new one). */
export interface ConsumerChanges {
  readonly removed: readonly ConsumerConfig[];
  readonly added: readonly ConsumerConfig[];
}

/** The consumer index of `config`: the previous one when the consumers are the same, updated when the change is known, else built. */
function* consumerIndexOf(config: GatewayConfig, deps: SnapshotDeps, before: Reusable | undefined): Generator<void, ConsumerIndex> {
  const factory = deps.plugins;
  if (!factory?.consumerIndex) return EMPTY_CONSUMER_INDEX;
  if (before && before.plugins === factory) {
    if (before.config.consumers === config.consumers) return before.consumers;
    if (deps.consumerChanges) return yield* factory.consumerIndex(config.consumers, { previous: before.consumers, ...deps.consumerChanges });
  }
  return yield* factory.consumerIndex(config.consumers);
}

/** Routes a change set removed (objects of the previous config) and put (plans of routes of the new one). */
export interface RouteChanges {
  readonly removed: readonly RouteConfig[];
  readonly added: readonly RoutePlan[];
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
  const updated = deps.routeChanges && incremental(config, meta, deps, deps.routeChanges);
  if (updated) return updated;
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
  for (const u of config.upstreams) upstreams.set(u.id, lease.upstreamPool(u));

  // Chains depend on the route and the global plugin slots; credentials are looked up in the snapshot's consumer index.
  const before = deps.previous && reusable.get(deps.previous);
  const chains = before && before.plugins === deps.plugins && before.config.plugins === config.plugins ? before.routes : undefined;
  const routes = new WeakMap<RouteConfig, IndexedRoute>();
  const patterns: RoutedPattern[] = [];
  for (let order = 0; order < plans.length; order++) {
    const plan = plans[order]!;
    const indexed = indexedRoute(plan, order, config, deps, upstreams, chains?.get(plan.config)?.compiled.plugins);
    routes.set(plan.config, indexed);
    for (const pattern of plan.patterns) patterns.push({ pattern, candidate: indexed.candidate, hosts: plan.config.hosts });
    yield;
  }
  const consumers = yield* consumerIndexOf(config, deps, before);
  return snapshotOf(config, meta, { config, plugins: deps.plugins, routes, router: Router.build(patterns), upstreams, consumers });
}

/** Compiles one route and its router candidate; `chain` is a plugin chain to reuse. */
function indexedRoute(plan: RoutePlan, order: number, config: GatewayConfig, deps: SnapshotDeps, upstreams: ReadonlyMap<string, UpstreamPool>, chain: PluginChain | undefined): IndexedRoute {
  const route = plan.config;
  const upstream = upstreams.get(route.upstream)!;
  const compiled: CompiledRoute = Object.freeze({
    id: route.id,
    config: route,
    upstream,
    timeouts: resolveTimeouts(route.timeouts, upstream.config.timeouts),
    plugins: chain ?? (deps.plugins ? deps.plugins.forRoute(route, config, deps.pluginsCheckedBy) : EMPTY_CHAIN),
    forwardPath: plan.forwardPath,
  });
  return { compiled, candidate: routeCandidate(compiled, order), patterns: plan.patterns };
}

function snapshotOf(config: GatewayConfig, meta: SnapshotMeta, parts: Reusable): Snapshot {
  const { router, upstreams, consumers } = parts;
  const snapshot: Snapshot = Object.freeze({
    version: meta.version,
    checksum: meta.checksum,
    config,
    routeCount: config.routes.length,
    match: (method: string, host: string | undefined, path: string, headers: Parameters<Snapshot['match']>[3]) =>
      router.match(method, host, path, headers),
    upstream: (id: string) => upstreams.get(id),
    consumers,
  });
  reusable.set(snapshot, parts);
  return snapshot;
}

/**
 * The snapshot `changes` make of `deps.previous`, its router updated copy-on-write and every other
 * route's compiled form shared; undefined when that does not apply (a whole compile follows):
 * upstreams or global plugin slots changed, too many puts, a hint that does not fit
 * the configs, or no order key left between two neighbours.
 */
function incremental(config: GatewayConfig, meta: SnapshotMeta, deps: SnapshotDeps, changes: RouteChanges): Snapshot | undefined {
  const before = deps.previous && reusable.get(deps.previous);
  if (!before || !deps.previous || before.plugins !== deps.plugins || before.config.upstreams !== config.upstreams || before.config.plugins !== config.plugins) return undefined;
  // Consumers changed in a way the compile is not told: their index is built whole, in slices.
  if (before.config.consumers !== config.consumers && !deps.consumerChanges) return undefined;
  if (changes.added.length > MAX_INCREMENTAL_PUTS || config.routes.length !== before.config.routes.length - changes.removed.length + changes.added.length) return undefined;
  const removed: IndexedRoute[] = [];
  for (const route of changes.removed) {
    const r = before.routes.get(route);
    if (!r) return undefined;
    removed.push(r);
  }
  const removedSet = new Set(changes.removed);
  const keyOf = (route: RouteConfig) => (removedSet.has(route) ? undefined : before.routes.get(route)?.candidate.order);
  if (changes.added.some((p) => before.routes.has(p.config) && !removedSet.has(p.config))) return undefined;
  const keys = orderKeysForPuts(config.routes, changes.added.map((p) => p.config), keyOf);
  if (!keys) return undefined;
  const problems: Problem[] = [];
  const upstreamIds = new Set(config.upstreams.map((u) => u.id));
  for (const plan of changes.added)
    if (!upstreamIds.has(plan.config.upstream))
      problems.push({ path: `/routes/${config.routes.indexOf(plan.config)}/upstream`, message: `upstream "${plan.config.upstream}" does not exist.`, fix: `define an upstream with id "${plan.config.upstream}" or reference an existing one.` });
  if (problems.length > 0) throw new GatehouseError('GW_ERR_CONFIG_INVALID', `${problems.length} problem(s) found while compiling.`, problems);

  const routed = (r: IndexedRoute): RoutedPattern[] => r.patterns.map((pattern) => ({ pattern, candidate: r.candidate, hosts: r.compiled.config.hosts }));
  const adds: RoutedPattern[] = [];
  for (const plan of changes.added) {
    const indexed = indexedRoute(plan, keys.get(plan.config)!, config, deps, before.upstreams, undefined);
    before.routes.set(plan.config, indexed);
    adds.push(...routed(indexed));
  }
  const router = before.router.withChanges(adds, removed.flatMap(routed));
  const lease = deps.targets.lease();
  const consumers = runThrough(consumerIndexOf(config, deps, before));
  const snapshot = snapshotOf(config, meta, { config, plugins: deps.plugins, routes: before.routes, router, upstreams: before.upstreams, consumers });
  lease.inherit(deps.previous);
  lease.bind(snapshot);
  return snapshot;
}
