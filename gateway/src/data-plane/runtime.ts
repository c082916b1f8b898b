/**
 * The running data plane: the one reference to the current snapshot, and the `ConfigSink` every
 * config source feeds. A config is validated, compiled and swapped in as a whole, or not at all.
 * In-flight requests keep the generation (snapshot) they started with; upstream targets that no
 * snapshot uses any more are swept once the last request on an older generation has finished.
 */
import type { Logger } from 'pino';
import { validateConfig, type PluginConfigChecker, type ValidatedParts } from '../config/validate';
import type { GatewayConfig } from '../config/schema';
import { formatProblems, GatehouseError, type Problem } from '../core/errors';
import { createSecretResolver, type SecretResolver } from './secrets';
import type { PluginChainFactory, PluginRegistry } from '../plugins/contract';
import type { ApplyResult, ConfigMeta, ConfigSink, Snapshot } from './types';

/** Compiles configs into snapshots and owns what snapshots share (upstream targets and their pools). */
export interface SnapshotCompilation {
  /** `validated`: what validation returned for `config` (route plans, checked plugin slots), so nothing is parsed or checked twice. */
  compile(config: GatewayConfig, meta: ConfigMeta, plugins: PluginChainFactory | undefined, validated?: ValidatedParts): Snapshot;
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
  /** The running config as validated (secrets unresolved), compiled again when a referenced secret changes. */
  private running: { config: GatewayConfig; meta: ConfigMeta; validated: ValidatedParts } | undefined;

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

  /** Compiles the running version again with freshly resolved secrets (a referenced value changed). */
  recompile(): Promise<void> {
    const next = this.queue.then(async () => {
      const running = this.running;
      if (this.closed || !running) return;
      try {
        this.swapIn(this.options.compilation.compile(await this.secrets.resolve(running.config), running.meta, this.options.plugins?.factory, running.validated));
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
    let snapshot: Snapshot;
    try {
      snapshot = this.options.compilation.compile(resolved, meta, this.options.plugins?.factory, validated);
    } catch (err) {
      if (err instanceof GatehouseError && err.problems.length > 0) return this.reject(meta, 'the config is invalid', err.problems);
      log.error({ err, version: meta.version, source: meta.source }, 'config could not be compiled');
      return this.reject(meta, `the config could not be compiled: ${(err as Error).message}`);
    }
    const previous = this.swapIn(snapshot);
    this.running = { config: validated.value, meta, validated };
    this.options.observer?.applied(meta, snapshot);
    log.info(
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

  private reject(meta: ConfigMeta, reason: string, problems?: readonly Problem[]): ApplyResult {
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
