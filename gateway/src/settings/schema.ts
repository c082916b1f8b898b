/**
 * Process settings: one schema, each setting with its config-file key (under `settings:`), its
 * environment variable, its default and its meaning. The README's settings table is generated from
 * this file (`npm run docs:settings`) and a test keeps the two equal.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DEFAULT_SECRETS_REFRESH_MS } from '../config/secrets';

/** Annotates a setting schema with its environment variable. */
const env = <T extends TSchema>(name: string, schema: T): T => Object.assign(schema, { env: name });

const Port = (def: number, description: string) => Type.Integer({ minimum: 0, maximum: 65535, default: def, description });
const Host = (def: string, description: string) => Type.String({ minLength: 1, maxLength: 253, default: def, description });
const Ms = (def: number, description: string) => Type.Integer({ minimum: 0, maximum: 86_400_000, default: def, description });

export const DEFAULT_PROXY_PORT = 8080;
export const DEFAULT_ADMIN_PORT = 9180;
export const DEFAULT_STATUS_PORT = 9190;
export const DEFAULT_DEREGISTRATION_DELAY_MS = 5_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const DEFAULT_POLL_INTERVAL_MS = 5_000;
export const DEFAULT_RATE_LIMIT_BUDGET_MS = 5;
export const DEFAULT_CONFIG_RETENTION = 100;
export const DEFAULT_DROP_GUARD_PERCENT = 50;
export const DEFAULT_ADMIN_BODY_LIMIT_BYTES = 32 * 1024 * 1024;
/** nginx's client_header_timeout. */
export const DEFAULT_CLIENT_HEADER_TIMEOUT_MS = 60_000;
/** Longer than the usual load balancer idle timeout (ALB: 60 s) so the balancer, not us, closes idle connections. */
export const DEFAULT_CLIENT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** nginx's client_body_timeout. */
export const DEFAULT_CLIENT_BODY_TIMEOUT_MS = 60_000;
/** Per worker process; nginx's worker_connections is usually raised to this order for a gateway. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** Envoy's max_headers_count. */
export const DEFAULT_MAX_REQUEST_HEADERS = 100;

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 15_000;
export const DEFAULT_FLEET_QUIET_AFTER_MS = 60_000;
export const DEFAULT_FLEET_LAG_AFTER_MS = 60_000;
export const DEFAULT_FLEET_FORGET_AFTER_MS = 30 * 60_000;
/** nginx's http2_max_concurrent_streams. */
export const DEFAULT_H2_MAX_CONCURRENT_STREAMS = 128;
/** nginx's large_client_header_buffers (4 × 8 KB). */
export const DEFAULT_H2_MAX_HEADER_LIST_SIZE = 32_768;
/** RFC 9113's initial window: a client sends at most 64 KB of a body ahead of the upstream. */
export const DEFAULT_H2_INITIAL_WINDOW_SIZE = 65_535;
/** Far above what browsers and gRPC clients reset in normal use, far below a rapid-reset attack. */
export const DEFAULT_H2_MAX_RESETS = 200;
/** A client sends one or two SETTINGS frames per connection in normal use. */
export const DEFAULT_H2_MAX_SETTINGS_FRAMES = 100;

export const Settings = Type.Object(
  {
    role: env(
      'GATEHOUSE_ROLE',
      Type.Union([Type.Literal('standalone'), Type.Literal('data-plane'), Type.Literal('control-plane')], {
        default: 'standalone',
        description: 'What this process runs: `standalone` (proxy + admin API, embedded store), `data-plane` or `control-plane`.',
      }),
    ),
    configFile: env(
      'GATEHOUSE_CONFIG',
      Type.Optional(Type.String({ minLength: 1, description: 'YAML or JSON config file; watched and hot-reloaded (standalone and file-driven data planes).' })),
    ),
    initialConfigFile: env(
      'GATEHOUSE_INITIAL_CONFIG',
      Type.Optional(
        Type.String({
          minLength: 1,
          description: 'Control plane: YAML or JSON config imported once as the first version when the store is empty and the S3 backup has none; never read again.',
        }),
      ),
    ),
    proxyHost: env('GATEHOUSE_PROXY_HOST', Host('0.0.0.0', 'Address the proxy listener binds.')),
    proxyPort: env('GATEHOUSE_PROXY_PORT', Port(DEFAULT_PROXY_PORT, 'Port of the proxy listener.')),
    adminHost: env('GATEHOUSE_ADMIN_HOST', Host('127.0.0.1', 'Address the admin API binds; keep it private.')),
    adminPort: env('GATEHOUSE_ADMIN_PORT', Port(DEFAULT_ADMIN_PORT, 'Port of the admin API.')),
    statusHost: env('GATEHOUSE_STATUS_HOST', Host('0.0.0.0', 'Address the status listener (`/healthz`, `/readyz`, `/metrics`) binds.')),
    statusPort: env('GATEHOUSE_STATUS_PORT', Port(DEFAULT_STATUS_PORT, 'Port of the status listener.')),
    databaseUrl: env(
      'DATABASE_URL',
      Type.Optional(Type.String({ minLength: 1, description: 'PostgreSQL URL of the config store; unset in standalone means the embedded PGlite store.' })),
    ),
    databaseCa: env(
      'GATEHOUSE_DATABASE_CA',
      Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 4096,
          description:
            'Verify the config store\'s certificate (`verify-full`: chain and host name) against `rds` (the Amazon RDS CA bundle shipped in the image), `system` (Node\'s root store) or the path of a PEM file; `DATABASE_URL` may then only say `sslmode=verify-full`. Unset, the URL alone decides TLS.',
        }),
      ),
    ),
    databaseReaderUser: env(
      'GATEHOUSE_DATABASE_READER_USER',
      Type.Optional(
        Type.String({
          pattern: '^[a-z_][a-z0-9_]{0,62}$',
          description: 'Control plane: the data planes\' read-only database role, which it creates (or updates) at every start with SELECT on exactly what data planes read; needs `GATEHOUSE_DATABASE_READER_PASSWORD`.',
        }),
      ),
    ),
    databaseReaderPassword: env(
      'GATEHOUSE_DATABASE_READER_PASSWORD',
      Type.Optional(
        Type.String({
          pattern: '^[\\x21-\\x7e]{16,1024}$',
          description: 'Control plane: the read-only role\'s password (16 or more printable ASCII characters), set at every start; only its SCRAM verifier is sent to PostgreSQL.',
        }),
      ),
    ),
    redisUrl: env(
      'REDIS_URL',
      Type.Optional(Type.String({ minLength: 1, description: 'Redis URL for shared rate-limit state (`rediss://user:password@host:port` for ElastiCache with RBAC or AUTH); unset means in-memory.' })),
    ),
    redisCluster: env('REDIS_CLUSTER', Type.Boolean({ default: false, description: 'Treat `REDIS_URL` as a Redis Cluster seed node (ElastiCache cluster mode enabled).' })),
    redisKeyPrefix: env(
      'GATEHOUSE_REDIS_PREFIX',
      Type.String({ minLength: 1, maxLength: 64, default: 'gatehouse:', description: 'Prefix of every Redis key Gatehouse writes; lets several gateways share one Redis.' }),
    ),
    rateLimitBudgetMs: env(
      'GATEHOUSE_RATE_LIMIT_BUDGET_MS',
      Type.Integer({
        minimum: 1,
        maximum: 1_000,
        default: DEFAULT_RATE_LIMIT_BUDGET_MS,
        description: 'Longest wait for Redis per rate-limit decision; past it the node decides with its local limiter.',
      }),
    ),
    rateLimitNodeCount: env(
      'GATEHOUSE_RATE_LIMIT_NODES',
      Type.Integer({ minimum: 1, maximum: 10_000, default: 1, description: 'Data plane nodes sharing the limits; while Redis is unreachable each node allows limit ÷ this.' }),
    ),
    dataDir: env('GATEHOUSE_DATA_DIR', Type.String({ minLength: 1, default: '.gatehouse', description: 'Directory for the embedded store, the generated admin token and the last-known-good config.' })),
    deregistrationDelayMs: env(
      'GATEHOUSE_DEREGISTRATION_DELAY_MS',
      Ms(DEFAULT_DEREGISTRATION_DELAY_MS, 'After SIGTERM, how long `/readyz` answers 503 while still serving, so the load balancer deregisters the node.'),
    ),
    drainTimeoutMs: env(
      'GATEHOUSE_DRAIN_TIMEOUT_MS',
      Ms(DEFAULT_DRAIN_TIMEOUT_MS, 'After the listener closes, the longest wait for in-flight requests before exiting.'),
    ),
    pollIntervalMs: env('GATEHOUSE_POLL_INTERVAL_MS', Ms(DEFAULT_POLL_INTERVAL_MS, 'Data plane: how often the current config version is polled (push via LISTEN comes on top).')),
    workers: env('GATEHOUSE_WORKERS', Type.Integer({ minimum: 1, maximum: 256, default: 1, description: 'Proxy worker processes (node:cluster); 1 runs in one process.' })),
    logLevel: env(
      'GATEHOUSE_LOG_LEVEL',
      Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), {
        default: 'info',
        description: 'Log level (pino).',
      }),
    ),
    accessLog: env('GATEHOUSE_ACCESS_LOG', Type.Boolean({ default: true, description: 'Write one JSON access log line per proxied request.' })),
    trustedProxies: env(
      'GATEHOUSE_TRUSTED_PROXIES',
      Type.String({
        default: '',
        maxLength: 8192,
        description:
          'Comma-separated addresses or CIDR ranges of the load balancers in front; only from them are `X-Forwarded-Proto`/`-Host` kept (from anyone else they are replaced) and `X-Forwarded-For` believed for the client address that plugins count by (basic-auth failures).',
      }),
    ),
    clientHeaderTimeoutMs: env(
      'GATEHOUSE_CLIENT_HEADER_TIMEOUT_MS',
      Type.Integer({ minimum: 100, maximum: 3_600_000, default: DEFAULT_CLIENT_HEADER_TIMEOUT_MS, description: 'Time a client gets to send a whole request head (slow-loris bound); past it the connection is closed (checked once a second).' }),
    ),
    clientKeepAliveTimeoutMs: env(
      'GATEHOUSE_CLIENT_KEEP_ALIVE_TIMEOUT_MS',
      Type.Integer({ minimum: 100, maximum: 3_600_000, default: DEFAULT_CLIENT_KEEP_ALIVE_TIMEOUT_MS, description: 'An idle client keep-alive connection is closed after this; keep it above the load balancer\'s idle timeout (ALB: 60 s).' }),
    ),
    clientBodyTimeoutMs: env(
      'GATEHOUSE_CLIENT_BODY_TIMEOUT_MS',
      Type.Integer({ minimum: 100, maximum: 3_600_000, default: DEFAULT_CLIENT_BODY_TIMEOUT_MS, description: 'Longest pause while a client sends a request body; past it the upstream request is aborted and the client gets 408.' }),
    ),
    maxConnections: env(
      'GATEHOUSE_MAX_CONNECTIONS',
      Type.Integer({ minimum: 1, maximum: 1_000_000, default: DEFAULT_MAX_CONNECTIONS, description: 'Open client connections per proxy worker process; past it new connections are closed at once.' }),
    ),
    maxRequestHeaders: env(
      'GATEHOUSE_MAX_REQUEST_HEADERS',
      Type.Integer({ minimum: 8, maximum: 2_000, default: DEFAULT_MAX_REQUEST_HEADERS, description: 'Header fields a request may carry; more is answered 431.' }),
    ),
    underscoresInHeaders: env(
      'GATEHOUSE_UNDERSCORES_IN_HEADERS',
      Type.Boolean({ default: false, description: 'Forward request headers whose names contain `_` (nginx\'s `underscores_in_headers`); off, they are dropped, because CGI-style upstreams read `x_consumer_id` as `X-Consumer-Id`.' }),
    ),
    // HTTP/2 and TLS on the proxy listener (README "Protocols").
    tlsCertFile: env('GATEHOUSE_TLS_CERT_FILE', Type.Optional(Type.String({ minLength: 1, description: 'PEM certificate chain of the proxy listener; with `tlsKeyFile` the port speaks TLS only (ALPN `h2`, `http/1.1`). Re-read when the file changes.' }))),
    tlsKeyFile: env('GATEHOUSE_TLS_KEY_FILE', Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of `tlsCertFile`; re-read when the file changes.' }))),
    h2MaxConcurrentStreams: env('GATEHOUSE_H2_MAX_CONCURRENT_STREAMS', Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULT_H2_MAX_CONCURRENT_STREAMS, description: 'Streams one HTTP/2 client connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).' })),
    h2MaxHeaderListSize: env('GATEHOUSE_H2_MAX_HEADER_LIST_SIZE', Type.Integer({ minimum: 1_024, maximum: 1_048_576, default: DEFAULT_H2_MAX_HEADER_LIST_SIZE, description: 'Bytes of one HTTP/2 request header list, decoded (SETTINGS_MAX_HEADER_LIST_SIZE); also bounds CONTINUATION floods.' })),
    h2InitialWindowSize: env('GATEHOUSE_H2_INITIAL_WINDOW_SIZE', Type.Integer({ minimum: 65_535, maximum: 2_147_483_647, default: DEFAULT_H2_INITIAL_WINDOW_SIZE, description: 'HTTP/2 flow-control window per stream, in bytes: how much of a request body a client may send ahead (SETTINGS_INITIAL_WINDOW_SIZE).' })),
    h2MaxResets: env('GATEHOUSE_H2_MAX_RESETS', Type.Integer({ minimum: 1, maximum: 100_000, default: DEFAULT_H2_MAX_RESETS, description: 'Streams an HTTP/2 client may reset within 10 s before its connection is closed with GOAWAY (rapid reset, CVE-2023-44487).' })),
    h2MaxSettingsFrames: env('GATEHOUSE_H2_MAX_SETTINGS_FRAMES', Type.Integer({ minimum: 1, maximum: 100_000, default: DEFAULT_H2_MAX_SETTINGS_FRAMES, description: 'SETTINGS frames an HTTP/2 client may send within 10 s before its connection is closed with GOAWAY (settings flood).' })),
    storeDeadlineMs: env(
      'GATEHOUSE_STORE_DEADLINE_MS',
      Type.Integer({ minimum: 100, maximum: 600_000, default: 15_000, description: 'Longest wait for any PostgreSQL config store call, kept by Gatehouse itself (a hung server cannot enforce statement_timeout); past it an admin write answers 503, with its write id when it may have committed.' }),
    ),
    storeCheckIntervalMs: env(
      'GATEHOUSE_STORE_CHECK_INTERVAL_MS',
      Type.Integer({ minimum: 100, maximum: 3_600_000, default: 2_000, description: 'Control plane: how often the config store is checked (reachable, head intact) for `/readyz`.' }),
    ),
    configPush: env(
      'GATEHOUSE_CONFIG_PUSH',
      Type.Boolean({ default: true, description: 'Data plane: LISTEN for new config versions (push) on top of the poll; turn off where notifications cannot arrive (a read replica) to save a connection.' }),
    ),
    configSync: env(
      'GATEHOUSE_CONFIG_SYNC',
      Type.Union([Type.Literal('incremental'), Type.Literal('full')], {
        default: 'incremental',
        description: 'Data plane: `incremental` applies new config versions as change sets (whole versions only at cold start, when too far behind or on a mismatch); `full` fetches every version whole (the baseline the config-scale benchmark compares with).',
      }),
    ),
    configRetention: env(
      'GATEHOUSE_CONFIG_RETENTION',
      Type.Integer({ minimum: 1, maximum: 1_000_000, default: DEFAULT_CONFIG_RETENTION, description: 'Config versions kept in the store (the current one is never deleted).' }),
    ),
    lastKnownGoodFile: env(
      'GATEHOUSE_LKG_FILE',
      Type.Optional(Type.String({ minLength: 1, description: 'Data plane: last-known-good config file, rewritten atomically after each applied version; default `<dataDir>/last-known-good.json`.' })),
    ),
    startWithoutConfig: env(
      'GATEHOUSE_START_WITHOUT_CONFIG',
      Type.Boolean({ default: false, description: 'Data plane: start (unready, `/readyz` 503) when no config can be loaded from the store, the last-known-good file or S3, instead of exiting with an error.' }),
    ),
    dropGuardPercent: env(
      'GATEHOUSE_DROP_GUARD_PERCENT',
      Type.Integer({ minimum: 0, maximum: 100, default: DEFAULT_DROP_GUARD_PERCENT, description: 'Refuse a config version that removes more than this percentage of the running routes (or all of them) unless it was written with `allowDrop=true`; 100 turns the guard off.' }),
    ),
    adminTokens: env(
      'GATEHOUSE_ADMIN_TOKENS',
      Type.Optional(Type.String({ minLength: 1, description: 'Admin API tokens as comma-separated `role:sha256hex` entries (role `admin` or `viewer`); make one with `npx tsx gateway/src/control-plane/auth/new-token.ts`.' })),
    ),
    adminBodyLimitBytes: env(
      'GATEHOUSE_ADMIN_BODY_LIMIT_BYTES',
      Type.Integer({ minimum: 1024, maximum: 1_073_741_824, default: DEFAULT_ADMIN_BODY_LIMIT_BYTES, description: 'Largest admin API request body (a whole config document with 100,000 routes is about 20 MB).' }),
    ),
    s3Bucket: env('GATEHOUSE_S3_BUCKET', Type.Optional(Type.String({ minLength: 3, maxLength: 63, description: 'S3 bucket of the config backup; unset disables the backup (control plane) and the S3 fallback (data plane).' }))),
    s3Prefix: env('GATEHOUSE_S3_PREFIX', Type.String({ default: 'gatehouse', maxLength: 512, description: 'Key prefix of the config backup: `<prefix>/versions/<n>.json` and `<prefix>/latest`.' })),
    s3Region: env('GATEHOUSE_S3_REGION', Type.Optional(Type.String({ minLength: 1, description: 'Region of the backup bucket; default from the AWS SDK (`AWS_REGION`).' }))),
    s3Endpoint: env('GATEHOUSE_S3_ENDPOINT', Type.Optional(Type.String({ minLength: 1, description: 'S3-compatible endpoint URL (MinIO, tests); unset uses AWS S3.' }))),
    s3ForcePathStyle: env('GATEHOUSE_S3_FORCE_PATH_STYLE', Type.Boolean({ default: false, description: 'Address the bucket in the path instead of the host name (most S3-compatible servers need it).' })),
    // Secrets (docs/RUNBOOK.md, "Secrets keys").
    secretsKeys: env(
      'GATEHOUSE_SECRETS_KEYS',
      Type.Optional(
        Type.String({
          minLength: 1,
          description:
            'Keys for inline secrets as comma-separated `kid:base64key` entries (32-byte AES-256-GCM keys; the first encrypts, all decrypt); make one with `npx tsx gateway/src/config/secrets/new-key.ts <kid>`. Unset: standalone generates `<dataDir>/secrets-key`; a control plane refuses inline secrets (references still work).',
        }),
      ),
    ),
    secretsRefreshMs: env(
      'GATEHOUSE_SECRETS_REFRESH_MS',
      Type.Integer({ minimum: 1_000, maximum: 86_400_000, default: DEFAULT_SECRETS_REFRESH_MS, description: 'Data plane: how often `$secret://aws/` references are fetched again from AWS Secrets Manager (a changed value is used from then on).' }),
    ),
    secretsAwsRegion: env('GATEHOUSE_SECRETS_AWS_REGION', Type.Optional(Type.String({ minLength: 1, description: 'Region of AWS Secrets Manager for `$secret://aws/` references; default from the AWS SDK (`AWS_REGION`).' }))),
    secretsAwsEndpoint: env('GATEHOUSE_SECRETS_AWS_ENDPOINT', Type.Optional(Type.String({ minLength: 1, description: 'Secrets Manager endpoint URL (VPC endpoints, tests); unset uses the AWS default.' }))),
    metricsConsumerLabels: env(
      'GATEHOUSE_METRICS_CONSUMER_LABELS',
      Type.Boolean({ default: false, description: 'Also export `gatehouse_consumer_requests_total{route,consumer,status_class}`: one series per route, consumer and class, so only for a bounded number of consumers (docs/METRICS.md).' }),
    ),
    // Tracing (docs/RUNBOOK.md, "Traces").
    tracing: env('GATEHOUSE_TRACING', Type.Boolean({ default: false, description: 'Data plane: trace proxied requests with OpenTelemetry (a server span per request, a client span per upstream attempt, `traceparent` to the upstream) and export them over OTLP/HTTP.' })),
    tracingEndpoint: env(
      'GATEHOUSE_TRACING_ENDPOINT',
      Type.String({ minLength: 1, maxLength: 2048, default: 'http://127.0.0.1:4318/v1/traces', description: 'OTLP/HTTP traces URL (JSON); the default is a collector sidecar in the same task.' }),
    ),
    tracingSampleRatio: env(
      'GATEHOUSE_TRACING_SAMPLE_RATIO',
      Type.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'Share of new traces sampled (0 to 1); requests whose `traceparent` says sampled are always traced, unsampled never (parent-based).' }),
    ),
    // Fleet view (docs/RUNBOOK.md, "The fleet view").
    nodeId: env(
      'GATEHOUSE_NODE_ID',
      Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'Name of this node in the fleet view (letters, digits, `.`, `_`, `-`); default the host name (unique per Fargate task).' })),
    ),
    region: env('GATEHOUSE_REGION', Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Region this node reports in the fleet view; default `AWS_REGION`.' }))),
    heartbeatBucket: env(
      'GATEHOUSE_HEARTBEAT_BUCKET',
      Type.Optional(Type.String({ minLength: 3, maxLength: 63, description: "S3 bucket data planes write their heartbeats to and the control plane reads them from: the primary region's backup bucket; default `s3Bucket`." })),
    ),
    heartbeatRegion: env('GATEHOUSE_HEARTBEAT_REGION', Type.Optional(Type.String({ minLength: 1, description: 'Region of the heartbeat bucket (the primary region); default `s3Region`.' }))),
    heartbeatPrefix: env('GATEHOUSE_HEARTBEAT_PREFIX', Type.String({ minLength: 1, maxLength: 512, default: 'gatehouse-heartbeats', description: 'Key prefix of the heartbeats: `<prefix>/<nodeId>.json`.' })),
    heartbeatIntervalMs: env(
      'GATEHOUSE_HEARTBEAT_INTERVAL_MS',
      Type.Integer({ minimum: 0, maximum: 3_600_000, default: DEFAULT_HEARTBEAT_INTERVAL_MS, description: 'Data plane: how often its heartbeat is written to the heartbeat bucket; 0 writes none.' }),
    ),
    fleetQuietAfterMs: env(
      'GATEHOUSE_FLEET_QUIET_AFTER_MS',
      Type.Integer({ minimum: 1_000, maximum: 86_400_000, default: DEFAULT_FLEET_QUIET_AFTER_MS, description: 'Control plane: a data plane whose last heartbeat is older than this is `quiet`.' }),
    ),
    fleetLagAfterMs: env(
      'GATEHOUSE_FLEET_LAG_AFTER_MS',
      Type.Integer({ minimum: 0, maximum: 86_400_000, default: DEFAULT_FLEET_LAG_AFTER_MS, description: 'Control plane: a data plane still below a config version committed this long ago is `lagging`.' }),
    ),
    fleetForgetAfterMs: env(
      'GATEHOUSE_FLEET_FORGET_AFTER_MS',
      Type.Integer({ minimum: 1_000, maximum: 604_800_000, default: DEFAULT_FLEET_FORGET_AFTER_MS, description: 'Control plane: a quiet data plane is left out of the fleet view after this long (a cleanly stopped one at once).' }),
    ),
  },
  { additionalProperties: false },
);

export type GatehouseSettings = Static<typeof Settings>;

/** The environment variable of a setting. */
export function envName(key: keyof GatehouseSettings): string {
  return (Settings.properties[key] as unknown as { env: string }).env;
}
