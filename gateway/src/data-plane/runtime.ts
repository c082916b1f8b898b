/**
 * The running data plane: the one reference to the current snapshot, and the `ConfigSink` every
 * config source feeds. A config is validated, compiled and swapped in as a whole, or not at all.
 * In-flight requests keep the generation (snapshot) they started with; upstream targets that no
 * snapshot uses any more are swept once the last request on an older generation has finished.
 * Change sets are validated and compiled for what they change only (unchanged routes keep their
 * compiled plugin chains), checked against the version's digest, and swapped in the same way; the
 * compilation runs in slices that yield the event loop, so config work never holds up a request for
 * long.
 */
import type { Logger } from 'pino';
import { validateConfig, type PluginConfigChecker, type ValidatedParts } from '../config/validate';
import type { ConsumerConfig, GatewayConfig, RouteConfig } from '../config/schema';
import type { ConsumerChanges, RouteChanges, SnapshotChanges } from './snapshot';
import type { RoutePlan } from '../config/routes/route-plan';
import { formatProblems, GatehouseError, type Problem } from '../core/errors';
import { createSecretResolver, type SecretResolver } from './secrets';
import type { PluginChainFactory, PluginRegistry } from '../plugins/contract';
import type { ApplyResult, ChangeApplyResult, ChangeSteps, ConfigMeta, ConfigSink, Snapshot } from './types';
import { documentDigestInSlices, resourceHashOf, updatedDigest, type ResourceKind } from '../config/change-set';
import { validateChanges } from '../config/validate-changes';
import { DIGEST_PREFIX } from '../core/resource-digest';

/** Compiles configs into snapshots and owns what snapshots share (upstream targets and their pools). */
export interface SnapshotCompilation {
  /** `validated`: what validation returned for `config` (route plans, checked plugin slots), so nothing is parsed or checked twice. */
  compile(config: GatewayConfig, meta: ConfigMeta, plugins: PluginChainFactory | undefined, validated?: ValidatedParts): Snapshot;
  /** The same compile in slices that yield the event loop; unchanged routes of `previous` keep their plugin chains. */
  compileInSlices?(config: GatewayConfig, meta: ConfigMeta, plugins: PluginChainFactory | undefined, validated?: ValidatedParts, previous?: Snapshot, changes?: SnapshotChanges): Promise<Snapshot>;
  /** Called once `retired` serves no request any more: frees what no live snapshot uses. */
  release(retired: Snapshot, live: readonly Snapshot[]): void;
  /** Closes every upstream pool and health checker (graceful: pools finish their requests). */
  close(): Promise<void>;
}

/** Rejects every plugin name: the data plane runs without a plugin registry. */
export const NO_PLUGINS: PluginConfigChecker = {
  check: (_scope, name, _config, path) => ({
    ok: false,
    problems: [{ path, message: `unknown plugin "${name}"; known plugins: (none).`, fix: 'remove the plugin or run a build that registers it.' }],
  }),
};

/** A document holding only the given resources, to ask the secret resolver whether they hold a secret. */
function putsDocument(puts: Iterable<{ kind: string; body: unknown }>): GatewayConfig {
  const doc = { routes: [] as unknown[], upstreams: [] as unknown[], consumers: [] as unknown[], plugins: {} as Record<string, unknown> };
  for (const p of puts) {
    if (p.kind === 'route') doc.routes.push(p.body);
    else if (p.kind === 'upstream') doc.upstreams.push(p.body);
    else if (p.kind === 'consumer') doc.consumers.push(p.body);
  }
  return doc as unknown as GatewayConfig;
}

interface RunningConfig {
  readonly config: GatewayConfig;
  readonly meta: ConfigMeta;
  readonly routePlans: readonly RoutePlan[];
  readonly hasSecrets: boolean;
  readonly digest: Promise<string | undefined>;
}

/** A snapshot plus the number of requests still running on it. */
export class Generation {
  inFlight = 0;
  private retired = false;

  constructor(
    readonly snapshot: Snapshot,
    private readonly onIdle: (generation: Generation) => void,
  ) {}

  /** A request started on this generation. */
  acquire(): void {
    this.inFlight++;
  }

  /** A request on this generation finished. */
  release(): void {
    if (--this.inFlight === 0 && this.retired) this.onIdle(this);
  }

  /** A newer generation replaced this one; it is freed once idle. */
  retire(): void {
    this.retired = true;
    if (this.inFlight === 0) this.onIdle(this);
  }
}

/** What the runtime reports about config changes (metrics implement it). */
export interface ConfigObserver {
  applied(meta: ConfigMeta, snapshot: Snapshot): void;
  rejected(meta: ConfigMeta): void;
}

export interface DataPlaneOptions {
  readonly log: Logger;
  readonly compilation: SnapshotCompilation;
  readonly plugins?: PluginRegistry;
  readonly observer?: ConfigObserver;
  /** Resolves secret fields before each compile; default: no key (envelopes unresolvable), `$env://` and AWS with SDK defaults. Closed with the data plane. */
  readonly secrets?: SecretResolver;
}

/** The data plane's state: current generation, readiness and draining. Implements `ConfigSink`. */
export class DataPlane implements ConfigSink {
  /** Read by every request: the current generation, or undefined before the first config. */
  generation: Generation | undefined;
  private draining = false;
  private readonly retiring = new Set<Generation>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly secrets: SecretResolver;
  /**
   * The running config as validated (secrets unresolved), compiled again when a referenced secret
   * changes; `hasSecrets` false when it holds none (compiled as is); `digest` its digest, worked out
   * in slices after a whole version is applied.
   */
  private running: RunningConfig | undefined;
  /** Route plans by route config object, so a change set plans only the routes it puts. */
  private plans = new WeakMap<object, RoutePlan>();

  constructor(private readonly options: DataPlaneOptions) {
    this.secrets = options.secrets ?? createSecretResolver({ checker: options.plugins?.checker, log: options.log });
    this.secrets.onChange(() => this.recompile());
  }

  get currentVersion(): number | undefined {
    return this.generation?.snapshot.version;
  }

  get snapshot(): Snapshot | undefined {
    return this.generation?.snapshot;
  }

  /** True once a config is loaded and until draining starts: what `/readyz` reports. */
  get ready(): boolean {
    return this.generation !== undefined && !this.draining;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Why the node is not ready, or undefined when it is. */
  get notReadyReason(): string | undefined {
    if (this.draining) return 'draining';
    if (!this.generation) return 'no config loaded yet';
    return undefined;
  }

  /** Starts draining: `/readyz` answers 503 and responses ask keep-alive clients to close. */
  startDraining(): void {
    this.draining = true;
  }

  /** Validates, compiles and swaps in a config. Applies run one at a time, in call order. */
  apply(document: unknown, meta: ConfigMeta): Promise<ApplyResult> {
    const next = this.queue.then(() => this.applyNow(document, meta));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Applies change sets to the running config; `refetch` answers tell the source to send the version whole. Runs in call order with `apply`. */
  applyChanges(changes: ChangeSteps, meta: ConfigMeta): Promise<ChangeApplyResult> {
    const next = this.queue.then(() => this.applyChangesNow(changes, meta));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Compiles the running version again with freshly resolved secrets (a referenced value changed). */
  recompile(): Promise<void> {
    const next = this.queue.then(async () => {
      const running = this.running;
      if (this.closed || !running) return;
      try {
        const resolved = await this.secrets.resolve(running.config);
        const { compilation } = this.options;
        const plugins = this.options.plugins?.factory;
        const validated = this.validatedParts(running.routePlans);
        this.swapIn(compilation.compileInSlices ? await compilation.compileInSlices(resolved, running.meta, plugins, validated) : compilation.compile(resolved, running.meta, plugins, validated));
        this.options.log.info({ version: running.meta.version }, 'a referenced secret changed: the running version was compiled again');
      } catch (err) {
        this.options.log.error({ err, version: running.meta.version }, 'recompiling after a secret changed failed; keeping the running snapshot');
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async applyNow(document: unknown, meta: ConfigMeta): Promise<ApplyResult> {
    const { log } = this.options;
    if (this.closed) return { applied: false, reason: 'the data plane is closed' };
    const running = this.currentVersion;
    if (running !== undefined && meta.version <= running) {
      const reason = `version ${meta.version} is not newer than the running version ${running}`;
      log.info({ version: meta.version, running, source: meta.source }, `config not applied: ${reason}`);
      return { applied: false, reason };
    }
    const validated = validateConfig(document, this.options.plugins?.checker ?? NO_PLUGINS);
    if (!validated.ok) return this.reject(meta, 'the config is invalid', validated.problems);
    const resolved = await this.secrets.resolve(validated.value);
    if (this.closed) return { applied: false, reason: 'the data plane is closed' };
    const compiled = await this.compiled(resolved, meta, validated.routePlans, undefined);
    if (!compiled.ok) return compiled.result;
    this.plans = new WeakMap();
    validated.value.routes.forEach((r, i) => this.plans.set(r, validated.routePlans[i]!));
    // The digest a later change set is checked against. A `sum256:` checksum is that digest, and the
    // sync verified it over this document before handing it over: no second pass. Otherwise it is
    // hashed in slices, off the request path. (Were it ever wrong, a change set would miss it and the
    // version would be fetched whole, as for any mismatch.)
    const digest = meta.checksum.startsWith(DIGEST_PREFIX) ? Promise.resolve(meta.checksum) : documentDigestInSlices(validated.value).catch(() => undefined);
    return this.swapApplied(compiled.snapshot, { config: validated.value, meta, routePlans: validated.routePlans, hasSecrets: resolved !== validated.value, digest });
  }

  private async applyChangesNow(changes: ChangeSteps, meta: ConfigMeta): Promise<ChangeApplyResult> {
    const running = this.running;
    if (this.closed) return { applied: false, reason: 'the data plane is closed' };
    if (!running || running.meta.version !== changes.baseVersion)
      return { applied: false, reason: `the change sets start at version ${changes.baseVersion}, not at the running version ${running?.meta.version ?? 'none'}`, refetch: true };
    const checker = this.options.plugins?.checker ?? NO_PLUGINS;
    let config = running.config;
    const previous: { kind: ResourceKind; id: string; body: unknown }[] = [];
    const puts = new Map<string, { kind: ResourceKind; id: string; body: unknown }>();
    let whole = false;
    for (const step of changes.steps) {
      const validated = validateChanges(config, step, checker);
      // An intermediate version a whole fetch would never look at: let the source fetch the head instead.
      if (!validated.ok) return { applied: false, reason: `a change set is invalid: ${formatProblems(validated.problems)}`, refetch: true };
      for (const p of validated.previous) {
        const key = `${p.kind}\0${p.id}`;
        // A resource put by an earlier step and replaced again: its hash was never added, so it is not taken out.
        if (puts.has(key)) puts.delete(key);
        else previous.push(p);
      }
      for (const p of validated.puts) puts.set(`${p.kind}\0${p.id}`, p);
      validated.routePlans.forEach((plan, route) => this.plans.set(route, plan));
      whole ||= validated.whole;
      config = validated.value;
    }
    const base = await running.digest;
    const digest = base && !whole ? updatedDigest(base, previous, [...puts.values()].map((p) => ({ ...p, hash: resourceHashOf(p.kind, p.id, p.body) }))) : await documentDigestInSlices(config);
    if (digest !== changes.digest) return { applied: false, reason: `the digest after the change sets is ${digest}, the store recorded ${changes.digest}`, refetch: true };
    // The running config had no secret and the puts bring none: compiled as is, sharing unchanged routes.
    const added = putsDocument(puts.values());
    const resolved = running.hasSecrets || (await this.secrets.resolve(added)) !== added ? await this.secrets.resolve(config) : config;
    if (this.closed) return { applied: false, reason: 'the data plane is closed' };
    const routePlans = config.routes.map((r) => this.plans.get(r)!);
    // Compiled as is: the router of the running snapshot is updated for the routes changed only.
    const routeChanges: RouteChanges | undefined =
      whole || resolved !== config
        ? undefined
        : {
            removed: previous.filter((p) => p.kind === 'route').map((p) => p.body as RouteConfig),
            added: [...puts.values()].filter((p) => p.kind === 'route').map((p) => this.plans.get(p.body as RouteConfig)!),
          };
    const consumerChanges: ConsumerChanges | undefined =
      whole || resolved !== config
        ? undefined
        : {
            removed: previous.filter((p) => p.kind === 'consumer').map((p) => p.body as ConsumerConfig),
            added: [...puts.values()].filter((p) => p.kind === 'consumer').map((p) => p.body as ConsumerConfig),
          };
    const compiled = await this.compiled(resolved, meta, routePlans, this.generation?.snapshot, { routeChanges, consumerChanges });
    if (!compiled.ok) return compiled.result as ChangeApplyResult;
    this.swapApplied(compiled.snapshot, { config, meta, routePlans, hasSecrets: resolved !== config, digest: Promise.resolve(digest) });
    return { applied: true, version: meta.version, document: config };
  }

  /** What validation handed over: the route plans, and the plugin slots checked by this data plane's checker. */
  private validatedParts(routePlans: readonly RoutePlan[]): ValidatedParts {
    return { routePlans, pluginsCheckedBy: this.options.plugins?.checker };
  }

  /** Compiles (in slices when the compilation can); a failure becomes the rejection to return. */
  private async compiled(config: GatewayConfig, meta: ConfigMeta, routePlans: readonly RoutePlan[], previous: Snapshot | undefined, changes?: SnapshotChanges): Promise<{ ok: true; snapshot: Snapshot } | { ok: false; result: ApplyResult & { applied: false } }> {
    const { compilation } = this.options;
    const plugins = this.options.plugins?.factory;
    try {
      const validated = this.validatedParts(routePlans);
      const snapshot = compilation.compileInSlices ? await compilation.compileInSlices(config, meta, plugins, validated, previous, changes) : compilation.compile(config, meta, plugins, validated);
      return { ok: true, snapshot };
    } catch (err) {
      if (err instanceof GatehouseError && err.problems.length > 0) return { ok: false, result: this.reject(meta, 'the config is invalid', err.problems) };
      this.options.log.error({ err, version: meta.version, source: meta.source }, 'config could not be compiled');
      return { ok: false, result: this.reject(meta, `the config could not be compiled: ${(err as Error).message}`) };
    }
  }

  private swapApplied(snapshot: Snapshot, running: RunningConfig): ApplyResult {
    const { meta } = running;
    const previous = this.swapIn(snapshot);
    this.running = running;
    this.options.observer?.applied(meta, snapshot);
    this.options.log.info(
      { version: meta.version, checksum: meta.checksum, source: meta.source, routes: snapshot.routeCount, previous: previous?.snapshot.version },
      'config applied',
    );
    return { applied: true, version: meta.version };
  }

  /** Makes `snapshot` current; the previous generation is freed once its requests finished. */
  private swapIn(snapshot: Snapshot): Generation | undefined {
    const previous = this.generation;
    this.generation = new Generation(snapshot, (g) => this.freeGeneration(g));
    if (previous) {
      this.retiring.add(previous);
      previous.retire();
    }
    return previous;
  }

  private reject(meta: ConfigMeta, reason: string, problems?: readonly Problem[]): ApplyResult & { applied: false } {
    this.options.observer?.rejected(meta);
    const running = this.currentVersion;
    const keeping = running === undefined ? 'no config is running yet' : `keeping version ${running}`;
    this.options.log.error(
      { version: meta.version, source: meta.source, running, problems },
      `config version ${meta.version} from ${meta.source} rejected (${keeping}): ${reason}${problems?.length ? '\n' + formatProblems(problems) : ''}`,
    );
    return problems ? { applied: false, reason, problems } : { applied: false, reason };
  }

  private freeGeneration(generation: Generation): void {
    this.retiring.delete(generation);
    const live = [...this.retiring].map((g) => g.snapshot);
    if (this.generation) live.push(this.generation.snapshot);
    try {
      this.options.compilation.release(generation.snapshot, live);
    } catch (err) {
      this.options.log.error({ err, version: generation.snapshot.version }, 'releasing a retired snapshot failed');
    }
  }

  /** Requests still running, over every generation. */
  get inFlight(): number {
    let n = this.generation?.inFlight ?? 0;
    for (const g of this.retiring) n += g.inFlight;
    return n;
  }

  /** Stops accepting configs and closes every upstream pool (after their requests finished). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.secrets.close();
    await this.queue;
    await this.options.compilation.close();
  }
}
