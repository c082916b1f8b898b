/**
 * The plugin contract, shared by the plugins and the data plane (which imports nothing else of the
 * plugins folder): the request context, a plugin's answer, the plugin shape, and the chain and
 * registry interfaces. One plugin per file in this folder; each declares its name, priority, schema
 * (with defaults, `additionalProperties: false`) and phase handlers. Configs are validated and
 * prepared (`prepare`) when a config is loaded, never per request. Plugins never see which store
 * holds the config.
 */
import type { TSchema } from '@sinclair/typebox';
import type { IncomingHttpHeaders } from 'node:http';
import type { ConsumerConfig, GatewayConfig, RouteConfig } from '../config/schema';
import type { PluginConfigChecker } from '../config/validate';
import type { ErrorCode, Problem } from '../core/errors';
import type { MetricsRegistry } from '../core/metrics';

/** What a plugin may read and change about one request. Created once per request by the data plane. */
export interface RequestContext {
  readonly requestId: string;
  readonly method: string;
  /** Normalised path (what routing used); plugins may change `upstreamPath` to rewrite. */
  readonly path: string;
  /** Raw query string without `?` ('' when none); plugins may remove parameters (key-auth hides its credential). */
  query: string;
  /** Request headers as they will be forwarded (hop-by-hop already removed); mutable. */
  readonly headers: IncomingHttpHeaders;
  /** Client address as seen on the socket. */
  readonly remoteAddress: string;
  /**
   * The client's address: the socket peer, or, when that peer is one of the process-wide
   * `trustedProxies`, the first untrusted hop of `X-Forwarded-For` (so a load balancer's address is
   * never taken for the client's). Per-client decisions (basic-auth's failure backoff) use this.
   */
  readonly clientAddress: string;
  readonly route: RouteConfig;
  readonly params: Readonly<Record<string, string>>;
  /** Path sent upstream; plugins (proxy-rewrite) may replace it. */
  upstreamPath: string;
  /** Host header sent upstream when set (proxy-rewrite); otherwise the data plane decides. */
  upstreamHost?: string;
  /** Upstream id to use instead of the route's (traffic-split). */
  upstreamOverride?: string;
  /** The authenticated consumer, set by an auth plugin. */
  consumer?: ConsumerConfig;
  /** Response headers to add/set on the way back (cors, rate-limit). */
  readonly responseHeaders: Record<string, string>;
  /** Per-request scratch space for plugins, keyed by plugin name. */
  readonly vars: Map<string, unknown>;
  /** The credentials of the consumers of the snapshot this request runs on (one index per document, shared by every route). */
  readonly consumerIndex: ConsumerIndex;
  /**
   * Cap on the request body in bytes (request-size-limit). The proxy counts the streamed body and,
   * past the cap, aborts the upstream request and answers 413 GW_ERR_PAYLOAD_TOO_LARGE.
   */
  maxBodyBytes?: number;
}

/** An answer produced by a plugin instead of proxying. */
export interface PluginAnswer {
  readonly status: number;
  /** A defined error (body is the standard error JSON) or a custom body. */
  readonly error?: ErrorCode;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
}

/** Phase handlers, in request order. Returning an answer stops the chain and answers the client. */
export interface PluginPhases<P> {
  /** Before auth: rewrite, cors preflight, ip-restriction, size limits. */
  rewrite?(ctx: RequestContext, conf: P): PluginAnswer | void | Promise<PluginAnswer | void>;
  /** Auth and policy decisions (auth, rate-limit). */
  access?(ctx: RequestContext, conf: P): PluginAnswer | void | Promise<PluginAnswer | void>;
  /** Adjust upstream response headers before they are sent to the client. */
  responseHeaders?(ctx: RequestContext, conf: P, status: number, headers: Record<string, string | string[] | undefined>): void;
  /** After the response finished (metrics, logging). */
  log?(ctx: RequestContext, conf: P, status: number): void;
}

/** The logging a plugin needs (pino's signature); failures log their detail here, clients get a generic answer. */
export interface PluginLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Services a plugin may use; chosen in one factory (`createPluginServices`) so plugins stay
 * store-agnostic. A plugin's own service (rate-limit's counter store) is typed by that plugin.
 */
export interface PluginServices {
  /** Where plugins log failure details; silent when absent. */
  readonly logger?: PluginLogger;
  /** The node's metrics registry: a plugin declares its metrics on it (`core/metrics.ts`). */
  readonly registry?: MetricsRegistry;
  readonly [name: string]: unknown;
}

/** Where a plugin config being checked sits. */
export interface PluginCheckContext {
  readonly scope: 'global' | 'route' | 'consumer';
  /** JSON path of the slot, e.g. `/routes/3/plugins/cors`. */
  readonly path: string;
  /** The whole (schema-valid, defaults-filled) document, for references to upstreams or consumers. */
  readonly document?: GatewayConfig;
}

export interface GatewayPlugin<C = unknown, P = C, K = unknown> extends PluginPhases<P> {
  readonly name: string;
  /** Higher runs first within a phase. */
  readonly priority: number;
  /** Schema of the route/global config, with defaults. */
  readonly schema: TSchema;
  /** Schema of the per-consumer config (credentials), if the plugin takes one. */
  readonly consumerSchema?: TSchema;
  /**
   * Checks a schema cannot express (regular expressions, CIDRs, references to upstreams), on the
   * defaults-filled config; `path` is the slot's JSON path. May return a normalised config (key-auth
   * replaces a plain key by its hash) that replaces the slot's value.
   */
  check?(conf: C, ctx: PluginCheckContext): Problem[] | { value: C };
  /** Like `check`, for a consumer's config of this plugin. */
  checkConsumer?(conf: K, ctx: PluginCheckContext): Problem[] | { value: K };
  /**
   * Turns a validated config into what the handlers use (compiled regexes, CIDR sets, hashed keys);
   * runs once per config load. Defaults to the config itself.
   */
  prepare?(conf: C, scope: { route?: RouteConfig; consumers: readonly ConsumerConfig[]; services: PluginServices }): P;
  /** The credential a consumer's slot of this plugin is found by (a key hash, a username, a JWT subject); unique among consumers. */
  credentialOf?(slot: K): string | undefined;
  /** What `ConsumerIndex.find` returns for that credential (default: the consumer); undefined leaves the consumer out of the index. */
  indexEntry?(slot: K, consumer: ConsumerConfig): unknown;
}

/**
 * The consumers' credentials of one config document, indexed once for every route's chain (not per
 * route): auth plugins look a presented credential up here, so a consumer change updates the index
 * and leaves every chain as it is.
 */
export interface ConsumerIndex {
  /** What `plugin` indexed under `credential` (see `GatewayPlugin.indexConsumer`), or undefined. */
  find(plugin: string, credential: string): unknown;
}

/** An index holding no credential: every lookup misses, so auth rejects. */
export const EMPTY_CONSUMER_INDEX: ConsumerIndex = Object.freeze({ find: () => undefined });

/** The plugins that apply to one route, merged (route over global) and prepared at compile time. */
export interface PluginChain {
  /** True when no plugin is configured: the hot path skips every phase call. */
  readonly empty: boolean;
  rewrite(ctx: RequestContext): Promise<PluginAnswer | void> | PluginAnswer | void;
  access(ctx: RequestContext): Promise<PluginAnswer | void> | PluginAnswer | void;
  responseHeaders(ctx: RequestContext, status: number, headers: Record<string, string | string[] | undefined>): void;
  log(ctx: RequestContext, status: number): void;
}

const nothing = (): void => undefined;

/** The chain of a route with no plugins (or of every route when no plugin factory is given): every phase is a no-op. */
export const EMPTY_CHAIN: PluginChain = Object.freeze({
  empty: true,
  rewrite: nothing,
  access: nothing,
  responseHeaders: nothing,
  log: nothing,
});

/** Builds plugin chains while compiling a snapshot; the plugin registry provides it. */
export interface PluginChainFactory {
  /** `checkedBy`: the checker whose output `config`'s plugin slots are; the factory's own catalogue means they are not checked again. */
  forRoute(route: RouteConfig, config: GatewayConfig, checkedBy?: PluginConfigChecker): PluginChain;
  /** Releases resources of chains built for a snapshot that is no longer used. */
  dispose?(): void;
  /**
   * The credential index of a document's consumers, as steps that pause after each consumer (the
   * compile runs them in slices); with `update`, the previous document's index changed for the
   * consumers it names only.
   */
  consumerIndex?(consumers: readonly ConsumerConfig[], update?: ConsumerIndexUpdate): Generator<void, ConsumerIndex>;
}

/** How the consumers changed since the index `previous` was built: consumer objects removed (or replaced) and put. */
export interface ConsumerIndexUpdate {
  readonly previous: ConsumerIndex;
  readonly removed: readonly ConsumerConfig[];
  readonly added: readonly ConsumerConfig[];
}

/** The known plugins, from both sides: `checker` goes to `validateConfig`, `factory` to the snapshot compiler. */
export interface PluginRegistry {
  readonly checker: PluginConfigChecker;
  readonly factory: PluginChainFactory;
  /** Names of the known plugins, sorted. */
  readonly names?: readonly string[];
}

/*
 * Headers the gateway sets for upstreams once a consumer is authenticated. The data plane strips
 * them from every incoming request, whatever plugins a route has, so a client can never forge them.
 */
export const CONSUMER_ID_HEADER = 'x-consumer-id';
export const CONSUMER_USERNAME_HEADER = 'x-consumer-username';
export const CREDENTIAL_HEADER = 'x-credential-identifier';

export const IDENTITY_HEADERS: readonly string[] = [CONSUMER_ID_HEADER, CONSUMER_USERNAME_HEADER, CREDENTIAL_HEADER];
