/**
 * The contracts inside the data plane: the compiled, immutable `Snapshot` (router, upstream pools,
 * plugin chains) that request handling reads, and the `ConfigSink` that config sources feed.
 * Request handling depends only on these interfaces.
 */
import type { ResourceChange } from '../config/change-set';
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayConfig, RouteConfig, TargetConfig, UpstreamConfig } from '../config/schema';
import type { ConsumerIndex, PluginChain } from '../plugins/contract';
import type { Problem } from '../core/errors';

/** Timeouts with every value resolved (route overrides upstream overrides defaults). */
export interface ResolvedTimeouts {
  readonly connectMs: number;
  readonly requestMs: number;
  readonly idleMs: number;
}

/** One upstream target with its live state; objects survive reloads while host:port and TLS stay the same. */
export interface TargetHandle {
  /** `host:port`, used in logs and metric labels. */
  readonly key: string;
  readonly config: TargetConfig;
  /** The keep-alive pool (undici) requests to this target go through. */
  readonly dispatcher: Dispatcher;
  /** `http://host:port` or `https://host:port`. */
  readonly origin: string;
  /** Current health as the balancer sees it. */
  readonly healthy: boolean;
  /** Requests in flight to this target (least-connections). */
  readonly inFlight: number;
}

/** What a balancer may hash on. */
export interface PickInput {
  readonly clientIp: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** How one attempt against a target ended, for passive health checks. */
export type AttemptOutcome = 'success' | 'connect-failure' | 'timeout' | 'server-error';

export interface UpstreamPool {
  readonly id: string;
  readonly config: UpstreamConfig;
  readonly targets: readonly TargetHandle[];
  /**
   * Chooses a healthy target, skipping `exclude` (targets already tried by this request). When no
   * target is healthy, a first attempt goes to any usable one (panic mode). Returns undefined when
   * none is left (the caller answers 503).
   */
  pick(input: PickInput, exclude?: ReadonlySet<TargetHandle>): TargetHandle | undefined;
  /** Marks the start of an attempt (in-flight accounting). */
  begin(target: TargetHandle): void;
  /** Ends an attempt and feeds passive health checks. */
  end(target: TargetHandle, outcome: AttemptOutcome): void;
  /** How a completed response counts for passive health (`server-error` for the upstream's failure statuses). */
  statusOutcome(status: number): AttemptOutcome;
}

export interface CompiledRoute {
  readonly id: string;
  readonly config: RouteConfig;
  readonly upstream: UpstreamPool;
  readonly timeouts: ResolvedTimeouts;
  readonly plugins: PluginChain;
  /** The path to forward, from the normalised request path and the matched parameters. */
  forwardPath(normalisedPath: string, params: Readonly<Record<string, string>>): string;
}

export interface RouteMatch {
  readonly route: CompiledRoute;
  readonly params: Readonly<Record<string, string>>;
}

/** A compiled config: immutable; a new one replaces it atomically on reload. */
export interface Snapshot {
  readonly version: number;
  readonly checksum: string;
  readonly config: GatewayConfig;
  readonly routeCount: number;
  /** Routes a request; `path` must already be normalised. */
  match(method: string, host: string | undefined, path: string, headers: IncomingHttpHeaders): RouteMatch | undefined;
  upstream(id: string): UpstreamPool | undefined;
  /** The credentials of the config's consumers, one index shared by every route's plugin chain. */
  readonly consumers: ConsumerIndex;
}

/** Where a config version came from (metrics label). */
export type ConfigSource = 'file' | 'store' | 'last-known-good' | 's3';

export interface ConfigMeta {
  readonly version: number;
  readonly checksum: string;
  readonly source: ConfigSource;
}

export type ApplyResult = { applied: true; version: number } | { applied: false; reason: string; problems?: readonly Problem[] };

/** What applying change sets answers; `refetch`: the change sets cannot be applied here, fetch the version whole. */
export type ChangeApplyResult =
  /** `document`: the config now running, as validated (for the last-known-good file). */
  | { applied: true; version: number; document: GatewayConfig }
  | { applied: false; reason: string; problems?: readonly Problem[]; refetch?: true };

/** The change sets that lead from the running version (`baseVersion`) to `meta.version`, oldest first. */
export interface ChangeSteps {
  readonly baseVersion: number;
  readonly steps: readonly (readonly ResourceChange[])[];
  /** The digest the document must have after the last step (config/change-set.ts). */
  readonly digest: string;
}

/** The data plane as config sources see it: validate, compile, swap. Never throws for a bad config. */
export interface ConfigSink {
  /** Version of the running snapshot, or undefined before the first apply. */
  readonly currentVersion: number | undefined;
  apply(document: unknown, meta: ConfigMeta): Promise<ApplyResult>;
  /** Applies change sets to the running config, validating and compiling only what they change (optional: sinks without it get whole versions). */
  applyChanges?(changes: ChangeSteps, meta: ConfigMeta): Promise<ChangeApplyResult>;
}
