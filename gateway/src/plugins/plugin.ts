/**
 * The plugin contract. One plugin per file in this folder; each declares its name, priority, schema
 * (with defaults, `additionalProperties: false`) and phase handlers. Configs are validated and
 * prepared (`prepare`) when a config is loaded, never per request. Plugins never see which store
 * holds the config.
 */
import type { TSchema } from '@sinclair/typebox';
import type { IncomingHttpHeaders } from 'node:http';
import type { ConsumerConfig, RouteConfig } from '../config/schema';
import type { ErrorCode } from '../errors';

/** What a plugin may read and change about one request. Created once per request by the data plane. */
export interface RequestContext {
  readonly requestId: string;
  readonly method: string;
  /** Normalised path (what routing used); plugins may change `upstreamPath` to rewrite. */
  readonly path: string;
  /** Raw query string without `?` ('' when none). */
  readonly query: string;
  /** Request headers as they will be forwarded (hop-by-hop already removed); mutable. */
  readonly headers: IncomingHttpHeaders;
  /** Client address as seen on the socket. */
  readonly remoteAddress: string;
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

/** Services a plugin may use; chosen in one factory so plugins stay store-agnostic. */
export interface PluginServices {
  /** Shared counter store (Redis or memory) for rate limiting; see plugins/rate-limit. */
  readonly [name: string]: unknown;
}

export interface GatewayPlugin<C = unknown, P = C> extends PluginPhases<P> {
  readonly name: string;
  /** Higher runs first within a phase. */
  readonly priority: number;
  /** Schema of the route/global config, with defaults. */
  readonly schema: TSchema;
  /** Schema of the per-consumer config (credentials), if the plugin takes one. */
  readonly consumerSchema?: TSchema;
  /**
   * Turns a validated config into what the handlers use (compiled regexes, CIDR sets, hashed keys);
   * runs once per config load. Defaults to the config itself.
   */
  prepare?(conf: C, scope: { route?: RouteConfig; consumers: readonly ConsumerConfig[]; services: PluginServices }): P;
}
