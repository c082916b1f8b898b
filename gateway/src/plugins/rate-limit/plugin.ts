/**
 * rate-limit: several GCRA limits per route (per second and per hour, say), keyed by any
 * combination of route, consumer, client address and a header, decided in one store round trip.
 * Answers 429 with `Retry-After`; sets `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
 * and `RateLimit-Policy` on every response.
 */
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName } from '../../config/http-fields';
import type { Problem } from '../../core/errors';
import { CidrSet, cidrProblems, clientAddress } from '../../core/client-address';
import type { GatewayPlugin, PluginAnswer, RequestContext } from '../contract';
import { limitSpec, type FailureMode, type LimitSpec, type RateLimitDecision, type RateLimitServices, type RateLimitStore } from './store';
import { MemoryRateLimitStore } from './local';

const MAX_WINDOW_MS = 31 * 86_400_000;

const Limit = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'requests admitted per window' }),
    windowMs: Type.Integer({ minimum: 1, maximum: MAX_WINDOW_MS, description: 'window length in milliseconds (1000 = per second, 3600000 = per hour)' }),
    burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'requests that may arrive at once; default: count' })),
  },
  { additionalProperties: false },
);

const KeyPart = Type.Union([Type.Literal('route'), Type.Literal('consumer'), Type.Literal('ip'), Type.Literal('header')]);

export const RateLimitSchema = Type.Object(
  {
    limits: Type.Array(Limit, { minItems: 1, maxItems: 8, description: 'every limit must admit a request (one round trip for all)' }),
    key: Type.Array(KeyPart, {
      minItems: 1,
      uniqueItems: true,
      default: ['route', 'ip'],
      description: 'what a counter is per: route, consumer (client address when anonymous), ip (client address), header',
    }),
    header: Type.Optional(HeaderName({ description: 'header whose value keys the counter when key has "header"' })),
    trustedProxies: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        maxItems: 256,
        description: 'proxies whose X-Forwarded-For is believed for the client address here, instead of the process-wide trustedProxies setting',
      }),
    ),
    onStoreFailure: Type.Union([Type.Literal('local'), Type.Literal('deny')], {
      default: 'local',
      description: 'Redis slow or down: "local" limits per node (limit ÷ node count), "deny" answers 503',
    }),
    headers: Type.Boolean({ default: true, description: 'send RateLimit-* headers on admitted responses' }),
  },
  { additionalProperties: false },
);

export type RateLimitConfig = Static<typeof RateLimitSchema>;

interface PreparedRateLimit {
  readonly limits: readonly LimitSpec[];
  readonly keyOf: (ctx: RequestContext) => string;
  readonly onStoreFailure: FailureMode;
  readonly headers: boolean;
  readonly policy: string;
  readonly store: RateLimitStore;
}

let fallbackStore: MemoryRateLimitStore | undefined;

function keyBuilder(conf: RateLimitConfig): (ctx: RequestContext) => string {
  const trusted = conf.trustedProxies?.length ? new CidrSet(conf.trustedProxies) : undefined;
  const header = conf.header?.toLowerCase();
  // The request's client address (process-wide trustedProxies) unless this limit names its own proxies.
  const address = trusted
    ? (ctx: RequestContext): string => clientAddress(ctx.remoteAddress, ctx.headers['x-forwarded-for'], trusted)
    : (ctx: RequestContext): string => ctx.clientAddress;
  const parts = conf.key.map((part): ((ctx: RequestContext) => string) => {
    switch (part) {
      case 'route':
        return (ctx) => 'r=' + ctx.route.id;
      case 'consumer':
        return (ctx) => (ctx.consumer ? 'c=' + ctx.consumer.id : 'ip=' + address(ctx));
      case 'ip':
        return (ctx) => 'ip=' + address(ctx);
      case 'header':
        return (ctx) => {
          const v = ctx.headers[header!];
          return 'h=' + (Array.isArray(v) ? v.join(',') : (v ?? ''));
        };
    }
  });
  if (parts.length === 1) return parts[0]!;
  return (ctx) => {
    let key = parts[0]!(ctx);
    for (let i = 1; i < parts.length; i++) key += '|' + parts[i]!(ctx);
    return key;
  };
}

function answer(ctx: RequestContext, conf: PreparedRateLimit, d: RateLimitDecision): PluginAnswer | undefined {
  conf.store.metrics.decision(d.source, d.allowed);
  if (d.source === 'unavailable')
    return { status: 503, error: 'GW_ERR_RATE_LIMIT_UNAVAILABLE', headers: { 'retry-after': String(Math.ceil(d.retryAfterMs / 1000)) } };
  const reset = String(Math.ceil(d.resetMs / 1000));
  if (d.allowed) {
    if (conf.headers) {
      ctx.responseHeaders['ratelimit-limit'] = String(d.limit);
      ctx.responseHeaders['ratelimit-remaining'] = String(d.remaining);
      ctx.responseHeaders['ratelimit-reset'] = reset;
      ctx.responseHeaders['ratelimit-policy'] = conf.policy;
    }
    return undefined;
  }
  return {
    status: 429,
    error: 'GW_ERR_RATE_LIMITED',
    headers: {
      'ratelimit-limit': String(d.limit),
      'ratelimit-remaining': '0',
      'ratelimit-reset': reset,
      'ratelimit-policy': conf.policy,
      'retry-after': String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))),
    },
  };
}

export const rateLimit: GatewayPlugin<RateLimitConfig, PreparedRateLimit> = {
  name: 'rate-limit',
  priority: 1000,
  schema: RateLimitSchema,

  check(conf, { path }) {
    const problems: Problem[] = cidrProblems(conf.trustedProxies, `${path}/trustedProxies`);
    if (conf.key.includes('header') && !conf.header)
      problems.push({ path: `${path}/header`, message: 'key has "header" but no header name is given.', fix: 'set header to the name of the header to count by, e.g. "x-tenant".' });
    conf.limits.forEach((l, i) => {
      if (l.burst !== undefined && l.burst > l.count * 1000)
        problems.push({ path: `${path}/limits/${i}/burst`, message: 'burst is more than 1000 times count.', fix: 'lower burst, or raise count.' });
    });
    return problems;
  },

  prepare(conf, { services }) {
    const store = (services as RateLimitServices).rateLimit ?? (fallbackStore ??= new MemoryRateLimitStore());
    const limits = conf.limits.map((l) => limitSpec(l.count, l.windowMs, l.burst));
    return {
      limits,
      keyOf: keyBuilder(conf),
      onStoreFailure: conf.onStoreFailure,
      headers: conf.headers,
      // RateLimit-Policy (IETF draft): "count;w=seconds" per limit.
      policy: limits.map((l) => `${l.count};w=${Math.max(1, Math.round(l.windowMs / 1000))}`).join(', '),
      store,
    };
  },

  access(ctx, conf) {
    const decision = conf.store.decide(conf.keyOf(ctx), conf.limits, conf.onStoreFailure);
    if (decision instanceof Promise) return decision.then((d) => answer(ctx, conf, d));
    return answer(ctx, conf, decision);
  },
};
