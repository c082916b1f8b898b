/**
 * traffic-split: sends a share of a route's traffic to other upstreams (canaries, blue/green). Rules
 * are tried in order; the first whose header/cookie matches all hold picks among its weighted
 * upstreams (smooth weighted round-robin: exact shares, no bursts). An entry without `upstream`
 * keeps the route's own upstream.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../config/schema';
import { HeaderName } from '../config/http-fields';
import { regexProblem, validatedRegex, type ConfigRegex } from '../config/regex';
import type { Problem } from '../core/errors';
import { cookieValue } from './cookies';
import type { GatewayPlugin, RequestContext } from './contract';

const Match = Type.Object(
  {
    header: Type.Optional(HeaderName({ description: 'header to test (or cookie)' })),
    cookie: Type.Optional(HeaderName({ description: 'cookie to test (or header)' })),
    value: Type.Optional(Type.String({ maxLength: 4096, description: 'exact value' })),
    regex: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'regular expression the value must match' })),
  },
  { additionalProperties: false },
);

const WeightedUpstream = Type.Object(
  {
    upstream: Type.Optional(Type.String({ pattern: Id.pattern as string, description: "upstream id; absent: the route's own upstream" })),
    weight: Type.Integer({ minimum: 0, maximum: 10_000, default: 1, description: 'share of the rule traffic' }),
  },
  { additionalProperties: false },
);

export const TrafficSplitSchema = Type.Object(
  {
    rules: Type.Array(
      Type.Object(
        {
          match: Type.Array(Match, { default: [], maxItems: 16, description: 'all must hold; empty: every request' }),
          upstreams: Type.Array(WeightedUpstream, { minItems: 1, maxItems: 64, description: 'weighted choices' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 64, description: 'tried in order; the first that matches decides' },
    ),
  },
  { additionalProperties: false },
);

export type TrafficSplitConfig = Static<typeof TrafficSplitSchema>;

interface Condition {
  readonly header?: string;
  readonly cookie?: string;
  readonly value?: string;
  readonly regex?: ConfigRegex;
}

interface Choice {
  readonly upstream?: string;
  readonly weight: number;
  current: number;
}

interface Rule {
  readonly match: readonly Condition[];
  readonly choices: Choice[];
  readonly total: number;
}

function holds(ctx: RequestContext, c: Condition): boolean {
  let value: string | undefined;
  if (c.header) {
    const v = ctx.headers[c.header];
    value = Array.isArray(v) ? v.join(', ') : v;
  } else value = cookieValue(ctx.headers.cookie, c.cookie!);
  if (value === undefined) return false;
  if (c.value !== undefined) return value === c.value;
  if (c.regex) return c.regex.test(value);
  return true;
}

/** Smooth weighted round-robin (as in nginx): each pick raises every weight, takes the largest. */
function pick(rule: Rule): Choice {
  let best = rule.choices[0]!;
  for (const c of rule.choices) {
    c.current += c.weight;
    if (c.current > best.current) best = c;
  }
  best.current -= rule.total;
  return best;
}

export const trafficSplit: GatewayPlugin<TrafficSplitConfig, readonly Rule[]> = {
  name: 'traffic-split',
  priority: 966,
  schema: TrafficSplitSchema,

  check(conf, { path, document }) {
    const problems: Problem[] = [];
    const upstreams = document ? new Set(document.upstreams.map((u) => u.id)) : undefined;
    conf.rules.forEach((rule, i) => {
      rule.match.forEach((m, j) => {
        const where = `${path}/rules/${i}/match/${j}`;
        if ((m.header === undefined) === (m.cookie === undefined))
          problems.push({ path: where, message: 'a match needs exactly one of header and cookie.', fix: 'set header or cookie (not both).' });
        if (m.value !== undefined && m.regex !== undefined)
          problems.push({ path: where, message: 'a match takes only one of value and regex.', fix: 'keep value or regex.' });
        const bad = m.regex === undefined ? undefined : regexProblem(m.regex, `${where}/regex`);
        if (bad) problems.push(bad);
      });
      rule.upstreams.forEach((u, j) => {
        if (u.upstream !== undefined && upstreams && !upstreams.has(u.upstream))
          problems.push({
            path: `${path}/rules/${i}/upstreams/${j}/upstream`,
            message: `upstream "${u.upstream}" does not exist.`,
            fix: `define an upstream with id "${u.upstream}" or reference one of the existing upstreams.`,
          });
      });
      if (rule.upstreams.every((u) => u.weight === 0))
        problems.push({ path: `${path}/rules/${i}/upstreams`, message: 'every weight is 0, so the rule can never pick.', fix: 'give at least one upstream a weight above 0.' });
    });
    return problems;
  },

  prepare: (conf) =>
    conf.rules.map((rule) => ({
      match: rule.match.map((m) => ({ header: m.header?.toLowerCase(), cookie: m.cookie, value: m.value, regex: m.regex ? validatedRegex(m.regex) : undefined })),
      choices: rule.upstreams.filter((u) => u.weight > 0).map((u) => ({ upstream: u.upstream, weight: u.weight, current: 0 })),
      total: rule.upstreams.reduce((sum, u) => sum + u.weight, 0),
    })),

  access(ctx, rules) {
    for (const rule of rules) {
      if (!rule.match.every((c) => holds(ctx, c))) continue;
      const choice = pick(rule);
      if (choice.upstream !== undefined) ctx.upstreamOverride = choice.upstream;
      return undefined;
    }
    return undefined;
  },
};
