/**
 * One data-plane node assembled from its parts: runtime, metrics, proxy listener, status listener and
 * access log. Nothing listens yet (`main.ts` does that); config sources are attached by the role.
 */
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { register } from 'prom-client';
import type { DestinationStream, Logger } from 'pino';
import type { Keyring } from '../config/secrets';
import type { GatehouseSettings } from '../settings';
import {
  buildProxyServer,
  buildStatusServer,
  createAccessLogger,
  DataPlane,
  GatewayMetrics,
  PinoAccessLog,
  Tunnels,
  type ClientLimits,
  type ConfigObserver,
} from '../data-plane';
import type { PluginRegistry } from '../plugins/contract';
import { createSecretResolver } from '../data-plane/secrets';
import { SnapshotCompiler } from '../data-plane/snapshot';
import { parseTrustedProxies } from '../core/client-address';

/** Something a role started that must stop at shutdown (file watcher, sync loop, admin API). */
export interface Closable {
  close(): Promise<void>;
}

export interface NodeOptions {
  readonly settings: GatehouseSettings;
  readonly log: Logger;
  /** The plugin registry; without it any plugin in a config is rejected as unknown. */
  readonly plugins?: PluginRegistry;
  /** Build the status listener; false in cluster workers, where the primary serves it. Default true. */
  readonly status?: boolean;
  /** Where access lines go (stdout by default). */
  readonly accessLogDestination?: DestinationStream;
  /** Also told about every applied or rejected config (cluster workers report readiness with it). */
  readonly observer?: ConfigObserver;
  /** Decrypts secret envelopes (the role resolves it from the settings, see `secrets-keys.ts`). */
  readonly secretsKeyring?: Keyring;
}

export interface DataPlaneNode {
  readonly settings: GatehouseSettings;
  readonly log: Logger;
  readonly dataPlane: DataPlane;
  readonly metrics: GatewayMetrics;
  readonly proxy: FastifyInstance<Server>;
  readonly status: FastifyInstance | undefined;
  readonly tunnels: Tunnels;
  /** Config sources and other role parts, closed in reverse order at shutdown. */
  readonly parts: Closable[];
  /** The admin API (standalone only); `main.ts` listens on the admin address. */
  readonly admin?: FastifyInstance;
}

/** Assembles a data-plane node (not listening, no config yet: `/readyz` is 503 until a source applies one). */
export function buildDataPlaneNode(options: NodeOptions): DataPlaneNode {
  const { settings, log } = options;
  let dataPlane: DataPlane | undefined;
  const metrics = new GatewayMetrics({ snapshot: () => dataPlane?.snapshot });
  const compiler = new SnapshotCompiler({
    onHealthChange: (change) => log.warn({ health: change }, 'upstream target health changed'),
  });
  const extra = options.observer;
  dataPlane = new DataPlane({
    log,
    compilation: compiler,
    plugins: options.plugins,
    secrets: createSecretResolver({
      checker: options.plugins?.checker,
      keyring: options.secretsKeyring,
      refreshMs: settings.secretsRefreshMs,
      region: settings.secretsAwsRegion,
      endpoint: settings.secretsAwsEndpoint,
      log: log.child({ part: 'secrets' }),
    }),
    observer: extra
      ? {
          applied: (meta, snapshot) => {
            metrics.applied(meta);
            extra.applied(meta, snapshot);
          },
          rejected: (meta) => {
            metrics.rejected(meta);
            extra.rejected(meta);
          },
        }
      : metrics,
  });
  const tunnels = new Tunnels();
  const accessLog = settings.accessLog ? new PinoAccessLog(createAccessLogger(options.accessLogDestination)) : undefined;
  const trustedProxies = parseTrustedProxies(settings.trustedProxies);
  const proxy = buildProxyServer({ dataPlane, log, limits: clientLimits(settings), metrics, accessLog, tunnels, trustedProxies, tls: listenerTls(settings) });
  const dp = dataPlane;
  const status =
    options.status === false
      ? undefined
      : buildStatusServer({
          readiness: () => ({ ready: dp.ready, reason: dp.notReadyReason, version: dp.currentVersion }),
          // The default registry holds the plugins' metrics (gatehouse_ratelimit_*); names never collide.
          metrics: async () => ({ contentType: metrics.registry.contentType, body: (await metrics.registry.metrics()) + (await register.metrics()) }),
        });
  return { settings, log, dataPlane: dp, metrics, proxy, status, tunnels, parts: [] };
}

/** The proxy listener's certificate files, when TLS is configured. */
export function listenerTls(settings: GatehouseSettings): { certFile: string; keyFile: string } | undefined {
  return settings.tlsCertFile && settings.tlsKeyFile ? { certFile: settings.tlsCertFile, keyFile: settings.tlsKeyFile } : undefined;
}

/** The proxy listener's client limits, from the settings. */
export function clientLimits(settings: GatehouseSettings): ClientLimits {
  return {
    headerTimeoutMs: settings.clientHeaderTimeoutMs,
    keepAliveTimeoutMs: settings.clientKeepAliveTimeoutMs,
    bodyTimeoutMs: settings.clientBodyTimeoutMs,
    maxConnections: settings.maxConnections,
    maxRequestHeaders: settings.maxRequestHeaders,
    underscoresInHeaders: settings.underscoresInHeaders,
    h2: {
      maxConcurrentStreams: settings.h2MaxConcurrentStreams,
      maxHeaderListSize: settings.h2MaxHeaderListSize,
      initialWindowSize: settings.h2InitialWindowSize,
      maxResetsPerWindow: settings.h2MaxResets,
      maxSettingsPerWindow: settings.h2MaxSettingsFrames,
    },
  };
}
