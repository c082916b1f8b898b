/**
 * Validation of config documents: schema (Ajv over the TypeBox schema, filling defaults; see
 * schema-check.ts) and then the checks a schema cannot express (unique ids, references, regular
 * expressions, route patterns, plugin configs). Every problem names its JSON path and how to fix it.
 * The input is never mutated.
 */
import type { TSchema } from '@sinclair/typebox';
import { Consumer, ConfigDocument, Route, Upstream, type ConsumerConfig, type GatewayConfig, type PluginScope, type RouteConfig, type UpstreamConfig } from './schema';
import type { Problem } from '../core/errors';
import { regexProblem } from './regex';
import { planRoute, type RoutePlan } from './routes/route-plan';
import { grpcPaths, routePaths } from './routes/grpc-paths';
import { validateAgainst, type ValidationResult } from './schema-check';

/** Checks plugin configs; the plugin registry implements it so that this module stays store- and plugin-agnostic. */
export interface PluginConfigChecker {
  /**
   * Checks one plugin slot at JSON path `path`. Returns its problems, or the defaults-filled config
   * that replaces the slot's value in the validated document. `document` is the schema-valid
   * document, for checks that follow references (traffic-split's upstreams).
   */
  check(scope: PluginScope, name: string, config: unknown, path: string, document?: GatewayConfig): ValidationResult<unknown>;
  /** The schema of a slot (consumer scope: the per-consumer schema), or undefined for an unknown plugin; secret fields are found through it. */
  slotSchema?(scope: PluginScope, name: string): TSchema | undefined;
  /**
   * The credentials of a validated consumer that must be unique among consumers, as `plugin\0credential`;
   * without it, a change set that puts a consumer is validated as a whole document.
   */
  credentialsOf?(consumer: ConsumerConfig): string[];
}

/**
 * Where each item of the checked document sits in the input: items that failed the schema are left
 * out of the semantic checks, so positions in the checked arrays are mapped back for JSON paths.
 */
interface Positions {
  readonly routes: readonly number[];
  readonly upstreams: readonly number[];
  readonly consumers: readonly number[];
  /** Upstream ids of upstreams that failed the schema: routes naming them are not told they do not exist. */
  readonly brokenUpstreamIds: ReadonlySet<string>;
}

const identity = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function duplicateIds(items: readonly { id: string }[], kind: string, at: readonly number[]): Problem[] {
  const first = new Map<string, number>();
  const problems: Problem[] = [];
  items.forEach((item, k) => {
    const i = at[k]!;
    const prev = first.get(item.id);
    if (prev === undefined) first.set(item.id, i);
    else
      problems.push({
        path: `/${kind}/${i}/id`,
        message: `duplicate ${kind.slice(0, -1)} id "${item.id}" (also at /${kind}/${prev}/id).`,
        fix: `give each ${kind.slice(0, -1)} a unique id.`,
      });
  });
  return problems;
}

/** Checks each slot and replaces its value with the defaults-filled one. */
export function checkSlots(
  plugins: PluginConfigChecker,
  scope: 'global' | 'route' | 'consumer',
  slots: Record<string, unknown>,
  base: string,
  document: GatewayConfig,
): Problem[] {
  const problems: Problem[] = [];
  for (const [name, conf] of Object.entries(slots)) {
    const result = plugins.check(scope, name, conf, `${base}/${name}`, document);
    if (result.ok) slots[name] = result.value;
    else problems.push(...result.problems);
  }
  return problems;
}

/**
 * The checks of one route at index `i` beyond its schema: upstream reference, paths, plan, headers,
 * plugin slots (replaced by their defaults-filled configs). Pushes the route's plan when it has one.
 */
export function routeProblems(
  route: RouteConfig,
  i: number,
  config: GatewayConfig,
  plugins: PluginConfigChecker | undefined,
  upstreamIds: ReadonlySet<string>,
  brokenUpstreamIds: ReadonlySet<string>,
  plans: RoutePlan[],
): Problem[] {
  const problems: Problem[] = [];
  if (!upstreamIds.has(route.upstream) && !brokenUpstreamIds.has(route.upstream))
    problems.push({
      path: `/routes/${i}/upstream`,
      message: `upstream "${route.upstream}" does not exist.`,
      fix: `define an upstream with id "${route.upstream}" or reference one of the existing upstreams.`,
    });
  const beforePaths = problems.length;
  if (route.grpc) problems.push(...grpcRouteProblems(route, i));
  route.paths?.forEach((p, j) => {
    if (p.startsWith('~')) {
      const bad = regexProblem(p.slice(1), `/routes/${i}/paths/${j}`);
      if (bad) problems.push(bad);
    } else if (!p.startsWith('/')) {
      problems.push({
        path: `/routes/${i}/paths/${j}`,
        message: `path "${p}" must start with "/" (or "~" for a regular expression).`,
        fix: 'write the path as "/exact", "/prefix/*", "/users/:id" or "~^/regex$".',
      });
    } else if (p.includes('*') && !/^[^*]*\/\*$/.test(p) && p !== '/*') {
      problems.push({
        path: `/routes/${i}/paths/${j}`,
        message: `path "${p}" has "*" somewhere other than a final "/*".`,
        fix: 'use "*" only as the last segment, e.g. "/api/*".',
      });
    }
  });
  // Parameter names, dot segments in patterns and rewritePath placeholders: the plan the compiler consumes.
  if (problems.length === beforePaths) {
    const plan = planRoute(route, i, problems);
    if (plan) plans.push(plan);
  }
  if (route.stripPrefix && !route.grpc && !routePaths(route).every((p) => p.endsWith('/*')))
    problems.push({
      path: `/routes/${i}/stripPrefix`,
      message: 'stripPrefix needs every path of the route to be a prefix path ending in "/*".',
      fix: 'write the paths as "/prefix/*" or remove stripPrefix.',
    });
  route.headers?.forEach((h, j) => {
    const set = [h.value !== undefined, h.regex !== undefined, h.absent === true].filter(Boolean).length;
    if (set > 1)
      problems.push({
        path: `/routes/${i}/headers/${j}`,
        message: 'a header match takes only one of value, regex and absent.',
        fix: 'keep one of value, regex or absent.',
      });
    if (h.regex) {
      const bad = regexProblem(h.regex, `/routes/${i}/headers/${j}/regex`);
      if (bad) problems.push(bad);
    }
  });
  if (plugins && route.plugins) problems.push(...checkSlots(plugins, 'route', route.plugins, `/routes/${i}/plugins`, config));
  return problems;
}

/**
 * What a `grpc` match cannot go with: `paths` (it makes the paths), `methods` (gRPC calls are POST),
 * `stripPrefix` (it would cut the service off the path) and `websocket` (handshakes are GET).
 */
function grpcRouteProblems(route: RouteConfig, i: number): Problem[] {
  const problems: Problem[] = [];
  const at = (field: string) => `/routes/${i}/${field}`;
  if (route.paths)
    problems.push({
      path: at('grpc'),
      message: 'a route takes either "paths" or "grpc", not both.',
      fix: `remove "paths" (grpc makes the paths ${JSON.stringify(grpcPaths(route.grpc!))}), or remove "grpc" and write the paths yourself.`,
    });
  if (route.methods)
    problems.push({ path: at('methods'), message: 'a gRPC route matches POST only (every gRPC call is a POST), so it takes no "methods".', fix: 'remove "methods".' });
  if (route.stripPrefix)
    problems.push({
      path: at('stripPrefix'),
      message: 'stripPrefix would cut the service name off the gRPC path, which the upstream needs.',
      fix: 'remove stripPrefix; to call the service by another name upstream, use rewritePath (e.g. "/helloworld.v2.Greeter/*").',
    });
  if (route.websocket)
    problems.push({
      path: at('websocket'),
      message: 'a gRPC route matches POST only, and WebSocket handshakes are GET requests.',
      fix: 'remove websocket, or give the WebSocket paths a route of their own.',
    });
  return problems;
}

/** The checks of one upstream at index `i` beyond its schema. */
export function upstreamProblems(u: UpstreamConfig, i: number): Problem[] {
  const problems: Problem[] = [];
  const b = u.balancer;
  if (b.algorithm === 'consistent-hash' && !b.hashOn)
    problems.push({
      path: `/upstreams/${i}/balancer/hashOn`,
      message: 'consistent-hash needs hashOn.',
      fix: 'set hashOn to "header", "cookie", "client-ip" or "path".',
    });
  if ((b.hashOn === 'header' || b.hashOn === 'cookie') && !b.hashKey)
    problems.push({
      path: `/upstreams/${i}/balancer/hashKey`,
      message: `hashOn "${b.hashOn}" needs hashKey (the ${b.hashOn} name).`,
      fix: `set hashKey to the ${b.hashOn} name to hash on.`,
    });
  if (u.targets.every((t) => t.weight === 0))
    problems.push({
      path: `/upstreams/${i}/targets`,
      message: 'every target has weight 0, so the upstream can never serve.',
      fix: 'give at least one target a weight above 0.',
    });
  if (u.protocol === 'h2' && u.scheme !== 'https')
    problems.push({
      path: `/upstreams/${i}/protocol`,
      message: 'protocol "h2" runs over TLS but scheme is "http".',
      fix: 'set scheme to "https", or use protocol "h2c" for cleartext HTTP/2.',
    });
  if (u.protocol === 'h2c' && u.scheme !== 'http')
    problems.push({
      path: `/upstreams/${i}/protocol`,
      message: 'protocol "h2c" is cleartext HTTP/2 but scheme is "https".',
      fix: 'set scheme to "http", or use protocol "h2" for HTTP/2 over TLS.',
    });
  if (u.tls && u.scheme !== 'https')
    problems.push({
      path: `/upstreams/${i}/tls`,
      message: 'tls settings are given but scheme is "http".',
      fix: 'set scheme to "https" or remove tls.',
    });
  return problems;
}

/** The checks the schema cannot express. */
function semanticProblems(config: GatewayConfig, plugins: PluginConfigChecker | undefined, at: Positions, plans: RoutePlan[] = []): Problem[] {
  const problems: Problem[] = [
    ...duplicateIds(config.routes, 'routes', at.routes),
    ...duplicateIds(config.upstreams, 'upstreams', at.upstreams),
    ...duplicateIds(config.consumers, 'consumers', at.consumers),
  ];
  const upstreamIds = new Set(config.upstreams.map((u) => u.id));
  config.routes.forEach((route, k) => problems.push(...routeProblems(route, at.routes[k]!, config, plugins, upstreamIds, at.brokenUpstreamIds, plans)));
  config.upstreams.forEach((u, k) => problems.push(...upstreamProblems(u, at.upstreams[k]!)));
  if (plugins) {
    problems.push(...checkSlots(plugins, 'global', config.plugins, '/plugins', config));
    config.consumers.forEach((c, k) => {
      if (c.plugins) problems.push(...checkSlots(plugins, 'consumer', c.plugins, `/consumers/${at.consumers[k]}/plugins`, config));
    });
  }
  return problems;
}

/**
 * The schema-valid part of a document that failed the schema: each route, upstream and consumer
 * that passes its own schema (defaults filled), so the later stages can still check them. Undefined
 * when the document's shape itself is wrong (not arrays where arrays belong).
 */
function schemaValidPart(input: Record<string, unknown>): { document: GatewayConfig; at: Positions } | undefined {
  const kinds = { routes: Route, upstreams: Upstream, consumers: Consumer } as const;
  const document: Record<string, unknown[]> = {};
  const at: Record<string, number[]> = {};
  const brokenUpstreamIds = new Set<string>();
  for (const [kind, schema] of Object.entries(kinds)) {
    const items = input[kind] ?? [];
    if (!Array.isArray(items)) return undefined;
    document[kind] = [];
    at[kind] = [];
    items.forEach((item, i) => {
      const checked = validateAgainst(schema, item);
      if (checked.ok) {
        document[kind]!.push(checked.value);
        at[kind]!.push(i);
      } else if (kind === 'upstreams' && typeof (item as { id?: unknown })?.id === 'string') brokenUpstreamIds.add((item as { id: string }).id);
    });
  }
  const slots = validateAgainst<Record<string, unknown>>(ConfigDocument.properties.plugins, input.plugins ?? {});
  return {
    document: { ...(document as unknown as GatewayConfig), plugins: slots.ok ? slots.value : {} },
    at: { routes: at.routes!, upstreams: at.upstreams!, consumers: at.consumers!, brokenUpstreamIds },
  };
}

const KIND_ORDER = ['', 'routes', 'upstreams', 'consumers', 'plugins'];

/**
 * Problems in document order by item (`/routes/10` after `/routes/9`, routes before upstreams); within
 * one item they keep the order the stages found them in (the sort is stable).
 */
export function byItem(a: Problem, b: Problem): number {
  const [, ka = '', ia = ''] = a.path.split('/');
  const [, kb = '', ib = ''] = b.path.split('/');
  if (ka !== kb) return (KIND_ORDER.indexOf(ka) >>> 0) - (KIND_ORDER.indexOf(kb) >>> 0);
  return (Number(ia) || 0) - (Number(ib) || 0);
}

/**
 * What validation worked out that compilation consumes instead of doing it again: the routes' plans,
 * in route order, and the checker whose defaults-filled output the document's plugin slots are.
 */
export interface ValidatedParts {
  readonly routePlans: readonly RoutePlan[];
  /** Undefined when no checker ran: the compiler then checks each plugin slot itself. */
  readonly pluginsCheckedBy?: PluginConfigChecker;
}

/** A validated config: the defaults-filled document and what the compiler takes from its validation. */
export type ConfigValidation = ({ ok: true; value: GatewayConfig } & ValidatedParts) | { ok: false; problems: Problem[] };

/**
 * Validates a config document. On success returns a defaults-filled copy and the route plans; on failure, every
 * problem of every stage at once (schema, ids and references, routes, plugins), in document order:
 * items that fail the schema are reported and left out of the later stages, the rest are checked.
 */
export function validateConfig(input: unknown, plugins?: PluginConfigChecker): ConfigValidation {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return {
      ok: false,
      problems: [{ path: '', message: 'the config must be an object.', fix: 'give an object with routes, upstreams, consumers and plugins.' }],
    };
  const schema = validateAgainst<GatewayConfig>(ConfigDocument, input);
  if (schema.ok) {
    const c = schema.value;
    const routePlans: RoutePlan[] = [];
    const problems = semanticProblems(c, plugins, { routes: identity(c.routes.length), upstreams: identity(c.upstreams.length), consumers: identity(c.consumers.length), brokenUpstreamIds: new Set() }, routePlans);
    return problems.length ? { ok: false, problems: problems.sort(byItem) } : { ok: true, value: c, routePlans, pluginsCheckedBy: plugins };
  }
  const part = schemaValidPart(input as Record<string, unknown>);
  const later = part ? semanticProblems(part.document, plugins, part.at) : [];
  return { ok: false, problems: [...schema.problems, ...later].sort(byItem) };
}
