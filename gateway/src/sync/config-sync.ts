/**
 * Keeps a data plane's config in step with the store: cold start (store → last-known-good file → S3
 * latest), then push (LISTEN) and pull (poll) together, so a lost notification costs at most one poll
 * interval. Only newer versions are applied, each after its checksum and the drop guard pass; the sink
 * validates before it swaps. After each apply the version is written to the last-known-good file.
 * Uses only reads, so data planes run with read-only database credentials.
 *
 * Once a version runs, newer ones arrive as change sets (`changesSince`): each changed resource is
 * checked against its recorded hash, the sink applies them and checks the result against the
 * version's digest. A whole version is fetched instead at cold start, when the reader is too far
 * behind the change log, when a change or the digest does not match, or when `incremental` is off.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Registry } from 'prom-client';
import { GatehouseError, formatProblems } from '../core/errors';
import type { ConfigSink, ConfigSource } from '../data-plane/types';
import type { ConfigStore, ConfigVersion, ConfigVersionHead, Unwatch } from '../store/types';
import { decodeStoredChanges } from '../store/stored-changes';
import type { ResourceChange } from '../config/change-set';
import { dropRefusal } from './drop-guard';
import { readLastKnownGood, writeAssembledLastKnownGood, writeLastKnownGood } from './last-known-good';
import { backoffDelay } from '../core/backoff';
import { silentLogger, type SourceLogger } from '../core/logger';
import { setRunningSource, syncMetrics, type SyncMetrics } from './metrics';
import { readLatestVersion, type S3Location } from './s3';
import { actualChecksumInSlices } from '../core/version-checksum';

export const DEFAULT_RECONNECT_BASE_MS = 200;
export const DEFAULT_RECONNECT_MAX_MS = 10_000;

export interface ConfigSyncOptions {
  sink: ConfigSink;
  /** The store (read-only use); absent when only files and S3 are available. */
  store?: Pick<ConfigStore, 'head' | 'get' | 'watch'> & Partial<Pick<ConfigStore, 'changesSince'>>;
  /** Apply newer versions as change sets when the sink and store can (default true); false always fetches whole versions. */
  incremental?: boolean;
  lastKnownGoodFile?: string;
  s3?: { client: S3Client; location: S3Location };
  pollIntervalMs: number;
  /** LISTEN for new versions (default true); false leaves only the poll. */
  push?: boolean;
  startWithoutConfig: boolean;
  dropGuardPercent: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  logger?: SourceLogger;
  /** The node's metrics registry (the sync declares its metrics on it). */
  registry: Registry;
}

/** A sync error as the fleet view reports it. */
export interface SyncError {
  readonly at: string;
  readonly reason: string;
  readonly message: string;
}

/** Recent errors kept for the heartbeat (oldest dropped first). */
const RECENT_ERRORS = 5;

export interface StartResult {
  loaded: boolean;
  source?: ConfigSource;
  version?: number;
}

export class ConfigSync {
  private readonly log: SourceLogger;
  private readonly metrics: SyncMetrics;
  private runningRoutes: number | undefined;
  private running: { version: number; checksum: string; source: ConfigSource } | undefined;
  /** The last version refused, so a poll does not refetch it until the head moves. */
  private refused: { version: number; checksum: string } | undefined;
  private inflight: Promise<void> | undefined;
  /** Highest version announced by NOTIFY and not fetched yet: fetched directly, saving the head query. */
  private announced: number | undefined;
  private again = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private unwatch: Unwatch | undefined;
  /** A LISTEN being set up, so that stop() can wait for it and close it. */
  private listening: Promise<void> | undefined;
  private lastSync: number | undefined;
  private readonly errors: SyncError[] = [];

  constructor(private readonly options: ConfigSyncOptions) {
    this.log = options.logger ?? silentLogger;
    this.metrics = syncMetrics(options.registry);
  }

  /** The running version and where it came from. */
  get current(): { version: number; checksum: string; source: ConfigSource } | undefined {
    return this.running;
  }

  /** When the store last answered a check (Unix ms), and the most recent errors, newest last. */
  get health(): { lastSyncAt: number | undefined; errors: readonly SyncError[] } {
    return { lastSyncAt: this.lastSync, errors: this.errors };
  }

  /** Loads the first version and starts push and pull. Throws GW_ERR_NO_CONFIG when nothing loads and starting without config is off. */
  async start(): Promise<StartResult> {
    const reasons: string[] = [];
    const lkgPath = this.options.lastKnownGoodFile;
    const lkg = lkgPath ? await readLastKnownGood(lkgPath) : undefined;
    // A cached version bounds what the store may drop even before anything runs.
    if (lkg?.ok) this.runningRoutes = lkg.version.routeCount;
    else if (lkg && !lkg.missing) this.report('checksum', `last-known-good file skipped: ${lkg.reason}`);

    let loaded = false;
    if (this.options.store) {
      try {
        const head = await this.options.store.head();
        this.markSynced();
        const v = head && (await this.options.store.get(head.version));
        if (v) loaded = await this.applyVersion(v, 'store');
        if (!loaded) reasons.push(v ? `store: version ${v.version} was refused` : 'store: holds no config version');
      } catch (err) {
        reasons.push(`store: ${(err as Error).message}`);
        this.report('store', `config store unavailable at start-up: ${(err as Error).message}`);
      }
    } else reasons.push('store: not configured (no DATABASE_URL)');

    if (!loaded && lkgPath) {
      if (lkg?.ok) loaded = await this.applyVersion(lkg.version, 'last-known-good');
      if (!loaded) reasons.push(`last-known-good: ${lkg?.ok ? `version ${lkg.version.version} was refused` : lkg?.reason}`);
    }
    if (!loaded && this.options.s3) {
      const s3 = await readLatestVersion(this.options.s3.client, this.options.s3.location);
      if (s3.ok) loaded = await this.applyVersion(s3.version, 's3');
      else this.report(s3.reason.includes('checksum') ? 'checksum' : 's3', `S3 backup skipped: ${s3.reason}`);
      if (!loaded) reasons.push(`s3: ${s3.ok ? `version ${s3.version.version} was refused` : s3.reason}`);
    }

    if (!loaded) {
      const detail = reasons.map((r) => `\n  - ${r}`).join('');
      if (!this.options.startWithoutConfig)
        throw new GatehouseError('GW_ERR_NO_CONFIG', `Tried, in order:${detail}\nFix: start the config store or restore a backup, or set startWithoutConfig (GATEHOUSE_START_WITHOUT_CONFIG=true) to start unready and wait.`);
      this.log.warn({ reasons }, 'starting without config: /readyz answers 503 until a version is loaded');
    }
    if (this.options.store) {
      if (this.options.push !== false) await this.listen();
      this.schedulePoll();
    }
    return { loaded, source: this.running?.source, version: this.running?.version };
  }

  /** Checks the store now (coalesces concurrent calls). */
  syncNow(): Promise<void> {
    if (this.inflight) {
      this.again = true;
      return this.inflight;
    }
    this.inflight = (async () => {
      do {
        this.again = false;
        await this.syncOnce();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    await this.inflight?.catch(() => undefined);
    await this.listening?.catch(() => undefined);
    await this.unwatch?.().catch(() => undefined);
    this.unwatch = undefined;
  }

  private async syncOnce(): Promise<void> {
    const store = this.options.store;
    if (!store || this.stopped) return;
    try {
      if (await this.syncChanges()) return;
      const announced = this.announced;
      this.announced = undefined;
      if (announced !== undefined && (!this.running || announced > this.running.version)) {
        const v = await store.get(announced);
        if (v) {
          this.markSynced();
          await this.applyVersion(v, 'store');
          return;
        }
      }
      const head = await store.head();
      this.markSynced();
      if (!head) return;
      const running = this.running;
      if (running && head.version <= running.version) {
        if (head.version === running.version && head.checksum === running.checksum && running.source !== 'store') {
          this.running = { ...running, source: 'store' };
          setRunningSource(this.metrics, 'store');
        } else if (head.version < running.version) {
          this.report('older', `store head ${head.version} is older than the running version ${running.version}; keeping ${running.version}`);
        }
        return;
      }
      if (this.refused && this.refused.version === head.version && this.refused.checksum === head.checksum) return;
      const v = await store.get(head.version);
      if (v) await this.applyVersion(v, 'store');
    } catch (err) {
      this.report('store', `config sync failed: ${(err as Error).message}`);
    }
  }

  /**
   * Brings the running version up to the head through change sets; false when a whole version must
   * be fetched instead (or nothing is newer: the whole path's head check then runs).
   */
  private async syncChanges(): Promise<boolean> {
    const { store, sink } = this.options;
    const running = this.running;
    if (this.options.incremental === false || !store?.changesSince || !sink.applyChanges || !running) return false;
    // A store that cannot answer (down, or a reader role without SELECT on the change log) leaves the whole path to report it.
    const since = await store.changesSince(running.version).catch((err: Error) => ({ ok: false as const, reason: err.message }));
    if (!since.ok) {
      this.log.info({ reason: since.reason, running: running.version }, 'fetching the head whole: the change log cannot bring this data plane up to date');
      return false;
    }
    const last = since.versions.at(-1);
    if (!last) return false;
    this.announced = undefined;
    this.metrics.lastSync.set(Date.now() / 1000);
    const { head } = last;
    if (this.refused && this.refused.version === head.version && this.refused.checksum === head.checksum) return true;
    const steps: ResourceChange[][] = [];
    for (const v of since.versions) {
      const decoded = decodeStoredChanges(v.changes);
      if (typeof decoded === 'string') {
        this.report('checksum', `change set of version ${v.head.version} refused: ${decoded}; fetching version ${head.version} whole`);
        return false;
      }
      steps.push(decoded);
    }
    const drop = dropRefusal(this.runningRoutes, { routeCount: head.routeCount, intendedDrop: head.intendedDrop }, this.options.dropGuardPercent);
    if (drop) {
      this.refused = { version: head.version, checksum: head.checksum };
      this.report('drop-guard', `config version ${head.version} from store refused: ${drop}; write it with allowDrop=true if intended`);
      return true;
    }
    const result = await sink.applyChanges({ baseVersion: running.version, steps, digest: last.digest }, { version: head.version, checksum: head.checksum, source: 'store' });
    if (!result.applied) {
      if (result.refetch) {
        this.report('change-set', `change sets to version ${head.version} not applied (${result.reason}); fetching it whole`);
        return false;
      }
      this.refused = { version: head.version, checksum: head.checksum };
      this.report('invalid', `config version ${head.version} from store refused: ${result.reason}`, result.problems ? { problems: formatProblems(result.problems) } : {});
      return true;
    }
    this.applied(head, 'store', steps.reduce((n, s) => n + s.length, 0));
    if (this.options.lastKnownGoodFile)
      await writeAssembledLastKnownGood(this.options.lastKnownGoodFile, head, result.document).catch((err: Error) =>
        this.report('lkg-write', `could not write the last-known-good file: ${err.message}`),
      );
    return true;
  }

  /** Records a version as running. */
  private applied(head: ConfigVersionHead, source: ConfigSource, changes?: number): void {
    this.running = { version: head.version, checksum: head.checksum, source };
    this.runningRoutes = head.routeCount;
    this.refused = undefined;
    this.metrics.version.set(head.version);
    setRunningSource(this.metrics, source);
    const created = Date.parse(head.createdAt);
    if (source === 'store' && Number.isFinite(created)) this.metrics.propagationLag.set(Math.max(0, (Date.now() - created) / 1000));
    this.log.info({ version: head.version, source, routes: head.routeCount, ...(changes === undefined ? {} : { changes }) }, 'config version applied');
  }

  /** Verifies, guards and applies one version; true when it is now running. */
  private async applyVersion(v: ConfigVersion, source: ConfigSource): Promise<boolean> {
    const refuse = (reason: string, label: string, extra: object = {}) => {
      this.refused = { version: v.version, checksum: v.checksum };
      this.report(label, `config version ${v.version} from ${source} refused: ${reason}`, extra);
      return false;
    };
    if (this.running && v.version <= this.running.version) return false;
    const actual = await actualChecksumInSlices(v);
    if (actual !== v.checksum) return refuse(`checksum mismatch (recorded ${v.checksum}, content ${actual})`, 'checksum');
    const routeCount = Array.isArray(v.document.routes) ? v.document.routes.length : 0;
    const drop = dropRefusal(this.runningRoutes, { routeCount, intendedDrop: v.intendedDrop }, this.options.dropGuardPercent);
    if (drop) return refuse(`${drop}; write it with allowDrop=true if intended`, 'drop-guard');
    const result = await this.options.sink.apply(v.document, { version: v.version, checksum: v.checksum, source });
    if (!result.applied)
      return refuse(result.reason, 'invalid', result.problems ? { problems: formatProblems(result.problems) } : {});
    this.applied({ ...v, routeCount }, source);
    if (this.options.lastKnownGoodFile && source !== 'last-known-good') {
      await writeLastKnownGood(this.options.lastKnownGoodFile, v).catch((err: Error) =>
        this.report('lkg-write', `could not write the last-known-good file: ${err.message}`),
      );
    }
    return true;
  }

  private listen(): Promise<void> {
    this.listening = this.listenNow().finally(() => {
      this.listening = undefined;
    });
    return this.listening;
  }

  private async listenNow(): Promise<void> {
    if (this.stopped || !this.options.store) return;
    try {
      this.unwatch = await this.options.store.watch(
        (version) => {
          if (this.running && version <= this.running.version) return;
          this.announced = Math.max(this.announced ?? 0, version);
          void this.syncNow();
        },
        (err) => {
          this.unwatch = undefined;
          this.report('listen', `lost the LISTEN connection: ${err.message}`);
          this.scheduleReconnect();
        },
      );
      if (this.reconnectAttempt > 0) this.log.info({ attempts: this.reconnectAttempt }, 'LISTEN reconnected: config versions are pushed again');
      this.reconnectAttempt = 0;
      // Versions may have been written while we were not listening.
      void this.syncNow();
    } catch (err) {
      this.report('listen', `LISTEN failed: ${(err as Error).message}`);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.reconnectAttempt++, this.options.reconnectBaseMs ?? DEFAULT_RECONNECT_BASE_MS, this.options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => void this.listen(), delay);
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => {
      void this.syncNow().finally(() => this.schedulePoll());
    }, this.options.pollIntervalMs);
  }

  private markSynced(): void {
    this.lastSync = Date.now();
    this.metrics.lastSync.set(this.lastSync / 1000);
  }

  private report(reason: string, message: string, extra: object = {}): void {
    this.metrics.syncErrors.inc({ reason });
    this.errors.push({ at: new Date().toISOString(), reason, message });
    if (this.errors.length > RECENT_ERRORS) this.errors.shift();
    this.log.warn({ reason, ...extra }, message);
  }
}
