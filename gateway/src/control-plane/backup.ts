/**
 * Backs every config version up to S3 (`<prefix>/versions/<n>.json`, then the `latest` pointer), in
 * order, retrying failures with backoff, and exports how far behind the backup is. S3 being down never
 * affects writes: the backup catches up when it is back. What is already in S3 is known from S3's
 * `latest` and from a store marker written after each upload, so the lag is true across restarts
 * even while S3 is down.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Registry } from 'prom-client';
import { withCanonicalText, type ConfigStore, type ConfigVersion, type ConfigVersionHead } from '../store/types';
import { documentText } from '../config/change-set';
import { backupMetrics, type BackupMetrics } from '../sync/metrics';
import { backoffDelay } from '../core/backoff';
import { silentLogger, type SourceLogger } from '../core/logger';
import { putLatest, putVersion, readLatestPointer, type S3Location } from '../sync/s3';

/** How often the backup checks the store even without a local commit (other control-plane instances write too). */
export const DEFAULT_BACKUP_CHECK_INTERVAL_MS = 10_000;
export const DEFAULT_BACKUP_RETRY_BASE_MS = 500;
export const DEFAULT_BACKUP_RETRY_MAX_MS = 60_000;

/** Retained versions looked at when counting the lag. */
const MAX_PENDING_COUNTED = 1000;

export interface ConfigBackupOptions {
  store: Pick<ConfigStore, 'head' | 'get' | 'list' | 'getMarker' | 'setMarker'>;
  client: S3Client;
  location: S3Location;
  checkIntervalMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  logger?: SourceLogger;
  /** The node's metrics registry (the backup declares its lag metrics on it). */
  registry: Registry;
}

export class ConfigBackup {
  private readonly metrics: BackupMetrics;
  private readonly log: SourceLogger;
  /** Highest version known to be in S3 (undefined until the store marker or the `latest` pointer was read). */
  private backedUp: number | undefined;
  /** The `latest` pointer was read since start (the marker alone may lag behind another instance's uploads). */
  private latestRead = false;
  private inflight: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The newest version this process committed (see `trigger`). */
  private committed: ConfigVersion | undefined;

  constructor(private readonly options: ConfigBackupOptions) {
    this.metrics = backupMetrics(options.registry);
    this.log = options.logger ?? silentLogger;
  }

  /** The highest version stored in S3, as far as this process knows. */
  get backedUpVersion(): number | undefined {
    return this.backedUp;
  }

  /** Starts the periodic check and backs up what is missing. */
  start(): void {
    this.stopped = false;
    this.trigger();
  }

  /**
   * Asks for a backup run now (after a commit). `committed`, the version this process just wrote, is
   * uploaded from memory (its resource texts are cached) instead of being assembled from the store,
   * which for a version stored as a change set costs a parse and a serialisation of the whole document.
   */
  trigger(committed?: ConfigVersion): void {
    if (committed && committed.version > (this.committed?.version ?? 0)) this.committed = committed;
    if (this.stopped) return;
    if (this.inflight) {
      this.again = true;
      return;
    }
    this.inflight = (async () => {
      do {
        this.again = false;
        await this.runOnce();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.inflight = undefined;
      this.schedule();
    });
  }

  /** Resolves once the run in progress (if any) has finished. */
  async settled(): Promise<void> {
    while (this.inflight) await this.inflight;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.settled();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const interval = this.options.checkIntervalMs ?? DEFAULT_BACKUP_CHECK_INTERVAL_MS;
    // Never wait longer than the check interval, so S3's return is noticed within one interval.
    const delay = this.failures
      ? Math.min(interval, backoffDelay(this.failures, this.options.retryBaseMs ?? DEFAULT_BACKUP_RETRY_BASE_MS, this.options.retryMaxMs ?? DEFAULT_BACKUP_RETRY_MAX_MS))
      : interval;
    this.timer = setTimeout(() => this.trigger(), delay);
  }

  /** Version `n` as this process committed it, with its canonical text, or undefined. */
  private fromMemory(n: number): ConfigVersion | undefined {
    const c = this.committed;
    if (c?.version !== n) return undefined;
    return c.canonicalText !== undefined ? c : withCanonicalText({ ...c }, documentText(c.document));
  }

  private get markerKey(): string {
    return `backup:s3://${this.options.location.bucket}/${this.options.location.prefix}`;
  }

  private async runOnce(): Promise<void> {
    const { store, client, location } = this.options;
    let head;
    try {
      head = await store.head();
      if (this.backedUp === undefined) this.backedUp = Number((await store.getMarker(this.markerKey)) ?? 0);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'backup: config store unavailable; will retry');
      return;
    }
    if (!head) return this.setLag([]);
    const marked = this.backedUp;
    try {
      if (!this.latestRead) {
        this.backedUp = Math.max(this.backedUp, (await readLatestPointer(client, location))?.version ?? 0);
        this.latestRead = true;
      }
      for (let n = this.backedUp + 1; n <= head.version && !this.stopped; n++) {
        const v = this.fromMemory(n) ?? (await store.get(n));
        if (!v) continue; // pruned by retention before it could be backed up
        await putVersion(client, location, v);
        await putLatest(client, location, v);
        this.backedUp = n;
      }
      this.failures = 0;
      this.setLag([]);
    } catch (err) {
      this.failures++;
      // The lag first: whoever sees the failure counted sees the lag it left.
      await this.measurePending();
      this.metrics.failures.inc();
      this.log.warn({ err: (err as Error).message, backedUp: this.backedUp, head: head.version }, 'backup: S3 upload failed; retrying with backoff');
    }
    if (this.backedUp !== marked) await store.setMarker(this.markerKey, String(this.backedUp)).catch(() => undefined); // best effort: S3's latest is the truth
  }

  /** Sets the lag from the retained versions above the last one known to be in S3. */
  private async measurePending(): Promise<void> {
    const backedUp = this.backedUp ?? 0;
    const heads = await this.options.store.list({ limit: MAX_PENDING_COUNTED }).catch(() => undefined);
    if (heads) this.setLag(heads.filter((h) => h.version > backedUp));
  }

  private setLag(pending: readonly ConfigVersionHead[]): void {
    this.metrics.lagVersions.set(pending.length);
    const oldest = pending.length ? Date.parse(pending[pending.length - 1]!.createdAt) : NaN;
    this.metrics.oldestPending.at = Number.isFinite(oldest) ? oldest : undefined;
  }
}
