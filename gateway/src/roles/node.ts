/**
 * The one node shape every role returns (`GatewayNode`), and the data-plane node assembled from its
 * parts: runtime, metrics, proxy listener, status listener and access log. Nothing listens yet
 * (`main.ts` does that, and traps the signals); config sources are attached by the role.
 */
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { DestinationStream, Logger } from 'pino';
import type { Keyring } from '../config/secrets';
import type { GatehouseSettings } from '../settings';
import {
  buildProxyServer,
  buildStatusServer,
  createAccessLogger,
  DataPlane,
  drain,
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
import { tracingFrom } from './tracing';
import type { RequestTracing } from '../data-plane/tracing';

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
  /** The node's metrics registry, which every part declares its metrics on (plugin services too); a new one by default. */
  readonly registry?: Registry;
  /** Decrypts secret envelopes (the role resolves it from the settings, see `secrets-keys.ts`). */
  readonly secretsKeyring?: Keyring;
}

/** Which node a process runs: a role from the settings, or the primary that supervises cluster workers. */
export type NodeRole = GatehouseSettings['role'] | 'cluster-primary';

/**
 * What every role returns, so that `main.ts` runs them all with one loop: it listens on each listener
 * the node has (at the settings' address), calls `listening()`, forwards SIGHUP to `reload()` and
 * SIGTERM/SIGINT to `stop()`, and exits with the code `stop()` resolves to.
 */
export interface GatewayNode {
  readonly role: NodeRole;
  /** The proxy listener (data plane and standalone). */
  readonly proxy?: FastifyInstance<Server>;
  /** The status listener; absent in cluster workers, whose primary serves it. */
  readonly status?: FastifyInstance;
  /** The admin API (control plane and standalone). */
  readonly admin?: FastifyInstance;
  /** The running data plane (data plane and standalone). */
  readonly dataPlane?: DataPlane;
  /** Config sources and other role parts, closed in reverse order by `stop()`. */
  readonly parts: Closable[];
  /** Called once every listener listens. */
  listening?(): void;
  /** SIGHUP: re-read what can be re-read (a watched config file). */
  reload?(): void;
  /** Stops the node: drains traffic, closes every part and listener; resolves to the process exit code. */
  stop(): Promise<number>;
}

/** The data-plane node (roles `data-plane` and `standalone`): the node shape with its data-plane parts required. */
export interface DataPlaneNode extends GatewayNode {
  readonly settings: GatehouseSettings;
  readonly log: Logger;
  readonly dataPlane: DataPlane;
  /** The node's metrics registry, served on `/metrics`. */
  readonly registry: Registry;
  readonly metrics: GatewayMetrics;
  readonly proxy: FastifyInstance<Server>;
  readonly tunnels: Tunnels;
  /** Request tracing when on; closed after the drain, so the drained requests' spans are exported. */
  readonly tracing?: RequestTracing;
}

/** Assembles a data-plane node (not listening, no config yet: `/readyz` is 503 until a source applies one). */
export function buildDataPlaneNode(options: NodeOptions): DataPlaneNode {
  const { settings, log } = options;
  let dataPlane: DataPlane | undefined;
  const registry = options.registry ?? new Registry();
  const metrics = new GatewayMetrics({ registry, snapshot: () => dataPlane?.snapshot, consumerLabels: settings.metricsConsumerLabels });
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
  const tracing = tracingFrom(settings);
  const proxy = buildProxyServer({ dataPlane, log, limits: clientLimits(settings), metrics, accessLog, tunnels, trustedProxies, tracing, tls: listenerTls(settings) });
  const dp = dataPlane;
  const status =
    options.status === false
      ? undefined
      : buildStatusServer({
          readiness: () => ({ ready: dp.ready, reason: dp.notReadyReason, version: dp.currentVersion }),
          metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
        });
  const parts: Closable[] = [];
  const node: DataPlaneNode = {
    role: settings.role,
    settings,
    log,
    dataPlane: dp,
    registry,
    metrics,
    proxy,
    status,
    tunnels,
    tracing,
    parts,
    reload: () => {
      for (const part of parts) if ('reload' in part && typeof part.reload === 'function') void part.reload();
    },
    // Config sources stop first (no new version mid-drain), then traffic drains, then the status listener closes.
    stop: async () => {
      await closeParts(parts, log);
      const report = await drain(node, settings);
      await tracing?.close().catch((err: unknown) => log.error({ err }, 'exporting the last traces failed'));
      await status?.close();
      return report.clean ? 0 : 1;
    },
  };
  return node;
}

/** Closes `parts` in reverse order; a part that fails to close is logged and the rest still close. */
export async function closeParts(parts: readonly Closable[], log: Logger): Promise<void> {
  for (const part of [...parts].reverse()) await part.close().catch((err: unknown) => log.error({ err }, 'stopping a node part failed'));
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
