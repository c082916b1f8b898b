/**
 * Process settings: one schema, each setting with its config-file key (under `settings:`), its
 * environment variable, its default and its meaning. The README's settings table is generated from
 * this file (`npm run docs:settings`) and a test keeps the two equal.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

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
    redisUrl: env(
      'REDIS_URL',
      Type.Optional(Type.String({ minLength: 1, description: 'Redis URL for shared rate-limit state (`rediss://` with AUTH for ElastiCache); unset means in-memory.' })),
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
  },
  { additionalProperties: false },
);

export type GatehouseSettings = Static<typeof Settings>;

/** The environment variable of a setting. */
export function envName(key: keyof GatehouseSettings): string {
  return (Settings.properties[key] as unknown as { env: string }).env;
}
