/**
 * Validation of a change set against a validated document: only the resources it puts are checked,
 * plus the references they touch, with the same checks and messages `validateConfig` gives for the
 * whole document. Changes whose effect reaches resources they do not name (a global plugin slot, a
 * removed upstream, a consumer's credentials, which must be unique among all consumers) are validated
 * as a whole document instead, so the answer is always the one a whole validation would give.
 */
import type { Problem } from '../core/errors';
import type { RoutePlan } from './routes/route-plan';
import { Route, Upstream, type GatewayConfig, type RouteConfig, type UpstreamConfig } from './schema';
import { validateAgainst } from './schema-check';
import { applyChanges, type ResourceChange, type ResourceKind } from './change-set';
import { byItem, routeProblems, upstreamProblems, validateConfig, type PluginConfigChecker } from './validate';

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
function needsWhole(changes: readonly ResourceChange[]): boolean {
  const seen = new Set<string>();
  for (const c of changes) {
    const key = `${c.kind}\0${c.id}`;
    if (seen.has(key)) return true;
    seen.add(key);
    if (c.kind === 'plugin' || (c.kind === 'upstream' && c.body === undefined) || (c.kind === 'consumer' && c.body !== undefined)) return true;
  }
  return false;
}

/** Validates `changes` applied to `base` (a document `validateConfig` accepted). */
export function validateChanges(base: GatewayConfig, changes: readonly ResourceChange[], plugins?: PluginConfigChecker): ChangeValidation {
  const previous: { kind: ResourceKind; id: string; body: unknown }[] = [];
  const collect = (kind: ResourceKind, id: string, body: unknown) => void previous.push({ kind, id, body });
  if (needsWhole(changes)) {
    const result = validateConfig(applyChanges(base, changes, collect), plugins);
    if (!result.ok) return result;
    const routePlans = new Map(result.value.routes.map((r, i) => [r, result.routePlans[i]!] as const));
    const puts = changes.filter((c) => c.body !== undefined).map((c) => ({ kind: c.kind, id: c.id, body: bodyIn(result.value, c) }));
    return { ok: true, value: result.value, routePlans, previous, puts, whole: true };
  }
  const problems: Problem[] = [];
  const checked: ResourceChange[] = [];
  for (const c of changes) {
    if (c.body === undefined || c.kind === 'consumer') {
      checked.push(c);
      continue;
    }
    const key = c.kind === 'route' ? 'routes' : 'upstreams';
    const result = validateAgainst<RouteConfig | UpstreamConfig>(c.kind === 'route' ? Route : Upstream, c.body, `/${key}/${c.position}`);
    if (result.ok) checked.push({ ...c, body: result.value });
    else problems.push(...result.problems);
  }
  if (problems.length) return { ok: false, problems: problems.sort(byItem) };
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
  if (problems.length) return { ok: false, problems: problems.sort(byItem) };
  const puts = checked.filter((c) => c.body !== undefined).map((c) => ({ kind: c.kind, id: c.id, body: c.body }));
  return { ok: true, value, routePlans, previous, puts, whole: false };
}

/** The validated resource a put became in a wholly validated document. */
function bodyIn(doc: GatewayConfig, c: ResourceChange): unknown {
  if (c.kind === 'plugin') return doc.plugins[c.id];
  const key = c.kind === 'route' ? 'routes' : c.kind === 'upstream' ? 'upstreams' : 'consumers';
  return (doc[key] as readonly { id: string }[])[c.position ?? -1] ?? (doc[key] as readonly { id: string }[]).find((i) => i.id === c.id);
}
