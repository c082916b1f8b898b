/**
 * Validation of a change set against a validated document: only the resources it puts are checked,
 * plus the references they touch, with the same checks and messages `validateConfig` gives for the
 * whole document. A consumer put is checked with its plugin slots, and its credentials (unique among
 * all consumers) against the others' (the plugin checker's `credentialsOf`), the consumer after it
 * sharing one getting the problem a whole validation reports there. Changes whose effect reaches
 * resources they do not name (a global plugin slot, a removed upstream) or a checker without
 * `credentialsOf` are validated as a whole document instead, so the answer is always the one a whole
 * validation would give.
 */
import type { Problem } from '../core/errors';
import type { RoutePlan } from './routes/route-plan';
import { Consumer, Route, Upstream, type ConsumerConfig, type GatewayConfig, type RouteConfig, type UpstreamConfig } from './schema';
import { validateAgainst } from './schema-check';
import { applyChanges, type ResourceChange, type ResourceKind } from './change-set';
import { byItem, checkSlots, routeProblems, upstreamProblems, validateConfig, type PluginConfigChecker } from './validate';

/** A validated change set: the new document (unchanged resources shared with the base), the plans of its new routes, what it replaced. */
export type ChangeValidation =
  | {
      ok: true;
      value: GatewayConfig;
      /** Plans of the routes the change set put (every route when it was validated whole). */
      routePlans: ReadonlyMap<RouteConfig, RoutePlan>;
      /** The resources of the base the change set replaced or removed. */
      previous: readonly { kind: ResourceKind; id: string; body: unknown }[];
      /** The resources put, as validated (defaults filled). */
      puts: readonly { kind: ResourceKind; id: string; body: unknown }[];
      /** True when it was validated as a whole document (nothing is shared with the base). */
      whole: boolean;
    }
  | { ok: false; problems: Problem[] };

/** True when validating the change set needs the whole document (see the file comment). */
function needsWhole(changes: readonly ResourceChange[], plugins: PluginConfigChecker | undefined): boolean {
  const seen = new Set<string>();
  for (const c of changes) {
    const key = `${c.kind}\0${c.id}`;
    if (seen.has(key)) return true;
    seen.add(key);
    if (c.kind === 'plugin' || (c.kind === 'upstream' && c.body === undefined) || (c.kind === 'consumer' && c.body !== undefined && plugins && !plugins.credentialsOf)) return true;
  }
  return false;
}

/** Validates `changes` applied to `base` (a document `validateConfig` accepted). */
export function validateChanges(base: GatewayConfig, changes: readonly ResourceChange[], plugins?: PluginConfigChecker): ChangeValidation {
  const previous: { kind: ResourceKind; id: string; body: unknown }[] = [];
  const collect = (kind: ResourceKind, id: string, body: unknown) => void previous.push({ kind, id, body });
  const whole = (): ChangeValidation => {
    previous.length = 0;
    const result = validateConfig(applyChanges(base, changes, collect), plugins);
    if (!result.ok) return result;
    const routePlans = new Map(result.value.routes.map((r, i) => [r, result.routePlans[i]!] as const));
    const puts = changes.filter((c) => c.body !== undefined).map((c) => ({ kind: c.kind, id: c.id, body: bodyIn(result.value, c) }));
    return { ok: true, value: result.value, routePlans, previous, puts, whole: true };
  };
  if (needsWhole(changes, plugins)) return whole();
  const problems: Problem[] = [];
  const checked: ResourceChange[] = [];
  for (const c of changes) {
    if (c.body === undefined) {
      checked.push(c);
      continue;
    }
    const key = c.kind === 'route' ? 'routes' : c.kind === 'upstream' ? 'upstreams' : 'consumers';
    const result = validateAgainst<RouteConfig | UpstreamConfig | ConsumerConfig>(c.kind === 'route' ? Route : c.kind === 'upstream' ? Upstream : Consumer, c.body, `/${key}/${c.position}`);
    if (result.ok) checked.push({ ...c, body: result.value });
    else problems.push(...result.problems);
  }
  // A put that fails its schema: the whole validation reports it with the semantic problems of the schema-valid rest.
  if (problems.length) return whole();
  const value = applyChanges(base, checked, collect);
  const upstreamIds = new Set(value.upstreams.map((u) => u.id));
  const plans: RoutePlan[] = [];
  const routePlans = new Map<RouteConfig, RoutePlan>();
  for (const c of checked) {
    if (c.body === undefined) continue;
    if (c.kind === 'route') {
      const before = plans.length;
      problems.push(...routeProblems(c.body as RouteConfig, c.position!, value, plugins, upstreamIds, new Set(), plans));
      if (plans.length > before) routePlans.set(c.body as RouteConfig, plans.at(-1)!);
    } else if (c.kind === 'upstream') problems.push(...upstreamProblems(c.body as UpstreamConfig, c.position!));
  }
  problems.push(...consumerProblems(value, checked, plugins));
  if (problems.length) return { ok: false, problems: problems.sort(byItem) };
  const puts = checked.filter((c) => c.body !== undefined).map((c) => ({ kind: c.kind, id: c.id, body: c.body }));
  return { ok: true, value, routePlans, previous, puts, whole: false };
}

/**
 * The problems of the consumers `checked` puts, as a whole validation reports them: their plugin
 * slots (replaced by the defaults-filled configs), then, for a credential a put shares with a
 * consumer after it, that consumer's slots checked against the new document.
 */
function consumerProblems(value: GatewayConfig, checked: readonly ResourceChange[], plugins: PluginConfigChecker | undefined): Problem[] {
  const puts = checked.filter((c) => c.kind === 'consumer' && c.body !== undefined);
  if (!plugins || puts.length === 0) return [];
  const problems: Problem[] = [];
  const shared = new Set<string>();
  let first = Infinity;
  for (const c of puts) {
    const consumer = c.body as ConsumerConfig;
    if (consumer.plugins) problems.push(...checkSlots(plugins, 'consumer', consumer.plugins, `/consumers/${c.position}/plugins`, value));
    for (const credential of plugins.credentialsOf!(consumer)) shared.add(credential);
    first = Math.min(first, c.position!);
  }
  if (problems.length > 0 || shared.size === 0) return problems;
  const putAt = new Set(puts.map((c) => c.position!));
  for (let i = first + 1; i < value.consumers.length; i++) {
    const other = value.consumers[i]!;
    if (putAt.has(i) || !other.plugins || !plugins.credentialsOf!(other).some((cred) => shared.has(cred))) continue;
    // Checked on a copy: the consumer is shared with the running document.
    problems.push(...checkSlots(plugins, 'consumer', { ...other.plugins }, `/consumers/${i}/plugins`, value));
  }
  return problems;
}

/** The validated resource a put became in a wholly validated document. */
function bodyIn(doc: GatewayConfig, c: ResourceChange): unknown {
  if (c.kind === 'plugin') return doc.plugins[c.id];
  const key = c.kind === 'route' ? 'routes' : c.kind === 'upstream' ? 'upstreams' : 'consumers';
  return (doc[key] as readonly { id: string }[])[c.position ?? -1] ?? (doc[key] as readonly { id: string }[]).find((i) => i.id === c.id);
}
