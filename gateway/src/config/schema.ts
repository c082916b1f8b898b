/**
 * The config document schema: the single source of truth for config types and validation.
 *
 * A config document is what a config version holds (routes, upstreams, consumers, global plugins).
 * Process settings (ports, store URLs, timeouts of the process itself) live in `../settings`.
 * Types are derived from these schemas with `Static<>`; never write them twice.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { HeaderName } from './http-fields';
import { GRPC_METHOD_PATTERN, GRPC_SERVICE_PATTERN } from './grpc-names';

/** Identifier of a route, upstream or consumer: safe in URLs, logs and metric labels. */
export const Id = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$',
  description: 'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 128 characters',
});

/** Labels that say who owns a resource: `gatehouse apply --select-tag team-a` owns only resources tagged `team-a`. */
export const Tags = Type.Optional(
  Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$' }), {
    maxItems: 16,
    uniqueItems: true,
    description: 'ownership tags (letters, digits, ".", "_", ":", "/", "-"); `gatehouse apply --select-tag` manages only resources with its tag',
  }),
);

/** Milliseconds, bounded so a typo cannot disable a timeout for days. */
const Millis = (def: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 3_600_000, default: def, description });

/** Where a plugin slot sits: its plugin's schema for that scope checks it (consumers: the per-consumer schema). */
export type PluginScope = 'global' | 'route' | 'consumer';
/** The annotation naming a plugin slot's scope, read by the secret-field walker (`./secrets/walk.ts`). */
export const PLUGIN_SCOPE = 'pluginScope';

/** Plugin slots: plugin name → plugin config. Each plugin's own schema checks its config at load. */
const pluginSlots = (scope: PluginScope) =>
  Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' }), Type.Unknown(), {
    default: {},
    description: 'plugin name → config; see docs/plugins.md for the known plugins',
    [PLUGIN_SCOPE]: scope,
  });

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * A timeout that a more specific level may leave unset: no schema default, so that a route setting
 * only `requestMs` still inherits its upstream's `connectMs` (the data plane resolves route →
 * upstream → the DEFAULT_*_TIMEOUT_MS constants; a schema default would fill every field of a
 * route's `timeouts` and hide the upstream's values).
 */
const InheritedMillis = (def: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 3_600_000, description: `${description}; default ${def} (inherited from the upstream on a route)` });

/** Timeouts towards an upstream. */
export const Timeouts = Type.Object(
  {
    connectMs: Type.Optional(InheritedMillis(DEFAULT_CONNECT_TIMEOUT_MS, 'TCP (and TLS) connect timeout')),
    requestMs: Type.Optional(
      InheritedMillis(DEFAULT_REQUEST_TIMEOUT_MS, 'time to the upstream response headers after the request is sent'),
    ),
    idleMs: Type.Optional(InheritedMillis(DEFAULT_IDLE_TIMEOUT_MS, 'longest pause between two body chunks either way')),
  },
  { additionalProperties: false },
);

/**
 * A route may override the per-request timeouts. The connect timeout belongs to the upstream's
 * keep-alive pool, whose connections every route to that upstream shares, so it is not per route.
 */
export const RouteTimeouts = Type.Omit(Timeouts, ['connectMs'], { additionalProperties: false });

export const HeaderMatch = Type.Object(
  {
    name: HeaderName(),
    /** Exact value (case-sensitive). */
    value: Type.Optional(Type.String({ maxLength: 4096 })),
    /** Regular expression the value must match. */
    regex: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    /** Match when the header is absent instead. */
    absent: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const HttpMethod = Type.Union(
  ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'].map((m) => Type.Literal(m)),
);

/**
 * A route's gRPC match, in place of `paths`: the service's methods as the paths gRPC calls them
 * (`/<service>/<method>`, or `/<service>/*` for every method), POST only and, unless
 * `matchContentType` is false, only requests whose content-type is `application/grpc` or
 * `application/grpc+<codec>` (the condition Envoy's `grpc` route match sets).
 */
export const GrpcMatch = Type.Object(
  {
    service: Type.String({ pattern: GRPC_SERVICE_PATTERN, maxLength: 1024, description: 'fully-qualified protobuf service name, e.g. "helloworld.Greeter"' }),
    methods: Type.Optional(
      Type.Array(Type.String({ pattern: GRPC_METHOD_PATTERN, maxLength: 256 }), {
        minItems: 1,
        maxItems: 64,
        uniqueItems: true,
        description: 'method names of the service (exact); absent: every method',
      }),
    ),
    matchContentType: Type.Boolean({
      default: true,
      description: 'match only requests with content-type application/grpc or application/grpc+<codec>; false also matches other POSTs to the paths',
    }),
  },
  { additionalProperties: false },
);

export const Route = Type.Object(
  {
    id: Id,
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    tags: Tags,
    /** Exact host names or one leading wildcard label (`*.example.com`). Empty or absent: any host. */
    hosts: Type.Optional(
      Type.Array(
        Type.String({
          pattern: '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$',
          maxLength: 253,
        }),
        { maxItems: 64 },
      ),
    ),
    /**
     * Path patterns. `/exact`, `/prefix/*` (matches `/prefix` and everything below),
     * `/users/:id` (named parameters), `~^/v[0-9]+/items$` (regular expression, tried after the others).
     * Every route has either `paths` or `grpc`.
     */
    paths: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { minItems: 1, maxItems: 64, description: 'path patterns; a route has either paths or grpc' })),
    /** A gRPC service (and methods) instead of `paths`; see `GrpcMatch`. */
    grpc: Type.Optional(GrpcMatch),
    /** Allowed methods; absent means every method. */
    methods: Type.Optional(Type.Array(HttpMethod, { minItems: 1, uniqueItems: true })),
    headers: Type.Optional(Type.Array(HeaderMatch, { maxItems: 32 })),
    /** Higher wins among routes whose path patterns are equally specific. */
    priority: Type.Integer({ default: 0, minimum: -1000, maximum: 1000 }),
    /** Remove the matched prefix of a `/prefix/*` path before forwarding. */
    stripPrefix: Type.Boolean({ default: false }),
    /** Replace the forwarded path; `:name` placeholders take the route's path parameters. */
    rewritePath: Type.Optional(Type.String({ pattern: '^/', maxLength: 2048 })),
    /** Send the client's Host header to the upstream instead of the target's host. */
    preserveHost: Type.Boolean({ default: false }),
    /**
     * Let WebSocket handshakes through as upgrades (the upstream's `101` opens a tunnel). Absent or
     * false: `Upgrade` is a hop-by-hop header like any other and is removed.
     */
    websocket: Type.Optional(Type.Boolean({ description: 'allow WebSocket upgrades on this route; default false' })),
    timeouts: Type.Optional(RouteTimeouts),
    upstream: Id,
    plugins: Type.Optional(pluginSlots('route')),
  },
  { additionalProperties: false },
);

export const Target = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    weight: Type.Integer({ minimum: 0, maximum: 1000, default: 1, description: '0 drains the target' }),
  },
  { additionalProperties: false },
);

export const Balancer = Type.Object(
  {
    algorithm: Type.Union(
      [Type.Literal('round-robin'), Type.Literal('least-connections'), Type.Literal('consistent-hash')],
      { default: 'round-robin' },
    ),
    /** What the consistent hash is computed over. */
    hashOn: Type.Optional(
      Type.Union([Type.Literal('header'), Type.Literal('cookie'), Type.Literal('client-ip'), Type.Literal('path')]),
    ),
    /** Header or cookie name when `hashOn` is `header` or `cookie`. */
    hashKey: Type.Optional(HeaderName()),
  },
  { additionalProperties: false, default: {} },
);

export const UpstreamTls = Type.Object(
  {
    /** Server name sent in the TLS handshake; defaults to the target host. */
    servername: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    /** PEM bundle of CAs to trust instead of the system store. */
    ca: Type.Optional(Type.String({ minLength: 1, maxLength: 262_144 })),
    /** Turn certificate verification off (never in production). */
    rejectUnauthorized: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export const DEFAULT_PASSIVE_STATUSES: readonly number[] = [502, 503, 504];
export const DEFAULT_MAX_EJECTION_PERCENT = 50;

export const PassiveHealth = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Consecutive failures (connect errors, timeouts, `statuses`) that eject a target. */
    failures: Type.Integer({ minimum: 1, maximum: 1000, default: 3 }),
    /** How long an ejected target waits before one half-open probe request may readmit it. */
    ejectMs: Millis(10_000, 'ejection time before a half-open probe'),
    /**
     * Response statuses that count as failures. Only gateway-like statuses by default: a 500 is what
     * any client can provoke on a buggy path, and must not let anonymous clients eject targets.
     */
    statuses: Type.Array(Type.Integer({ minimum: 500, maximum: 599 }), {
      default: [...DEFAULT_PASSIVE_STATUSES],
      uniqueItems: true,
      maxItems: 100,
      description: 'upstream statuses counted as failures; default 502, 503, 504',
    }),
    /** Never more than this share of the upstream's targets is ejected at once, and never the last healthy one. */
    maxEjectionPercent: Type.Integer({ minimum: 0, maximum: 100, default: DEFAULT_MAX_EJECTION_PERCENT, description: 'most targets ejected at once, in percent' }),
  },
  { additionalProperties: false, default: {} },
);

export const ActiveHealth = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    path: Type.String({ pattern: '^/', maxLength: 2048, default: '/healthz' }),
    intervalMs: Millis(5_000, 'time between probes of one target'),
    timeoutMs: Millis(2_000, 'probe timeout'),
    healthyThreshold: Type.Integer({ minimum: 1, maximum: 100, default: 2 }),
    unhealthyThreshold: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
    /** Statuses that count as healthy; default 200-399. */
    healthyStatuses: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { minItems: 1 })),
  },
  { additionalProperties: false, default: {} },
);

export const Upstream = Type.Object(
  {
    id: Id,
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    tags: Tags,
    targets: Type.Array(Target, { minItems: 1, maxItems: 1024 }),
    scheme: Type.Union([Type.Literal('http'), Type.Literal('https')], { default: 'http' }),
    /** HTTP version to the targets: `h2` needs scheme https (ALPN), `h2c` scheme http (prior knowledge); gRPC needs one of them. */
    protocol: Type.Union([Type.Literal('http1'), Type.Literal('h2'), Type.Literal('h2c')], { default: 'http1', description: 'http1, h2 (over TLS) or h2c (cleartext)' }),
    tls: Type.Optional(UpstreamTls),
    balancer: Balancer,
    timeouts: Type.Optional(Timeouts),
    /** Extra attempts on another target for idempotent requests whose body was not streamed yet. */
    retries: Type.Integer({ minimum: 0, maximum: 10, default: 1 }),
    /** Keep-alive connections per target (HTTP/2: sessions per target, each multiplexing many requests). */
    poolSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 128 }),
    healthChecks: Type.Object(
      { passive: PassiveHealth, active: ActiveHealth },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export const Consumer = Type.Object(
  {
    id: Id,
    tags: Tags,
    /** Name forwarded to upstreams in the consumer identity header. */
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' })),
    labels: Type.Optional(Type.Record(Type.String({ maxLength: 63 }), Type.String({ maxLength: 256 }))),
    /** Credentials and per-consumer plugin settings (for example `key-auth: { key }`). */
    plugins: Type.Optional(pluginSlots('consumer')),
  },
  { additionalProperties: false },
);

export const ConfigDocument = Type.Object(
  {
    routes: Type.Array(Route, { default: [], maxItems: 200_000 }),
    upstreams: Type.Array(Upstream, { default: [], maxItems: 100_000 }),
    consumers: Type.Array(Consumer, { default: [], maxItems: 200_000 }),
    /** Plugins applied to every route (a route's own settings for the same plugin win). */
    plugins: pluginSlots('global'),
  },
  { additionalProperties: false },
);

export type RouteConfig = Static<typeof Route>;
export type UpstreamConfig = Static<typeof Upstream>;
export type TargetConfig = Static<typeof Target>;
export type ConsumerConfig = Static<typeof Consumer>;
export type TimeoutsConfig = Static<typeof Timeouts>;
export type HeaderMatchConfig = Static<typeof HeaderMatch>;
export type GrpcMatchConfig = Static<typeof GrpcMatch>;
export type ConfigDocumentInput = Static<typeof ConfigDocument>;
/** A document after validation: defaults filled in. */
export type GatewayConfig = ConfigDocumentInput;
export type { TSchema };
