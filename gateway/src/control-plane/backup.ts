/**
 * Backs every config version up to S3 (`<prefix>/versions/<n>.json`, then the `latest` pointer), in
 * order, retrying failures with backoff, and exports how far behind the backup is. S3 being down never
 * affects writes: the backup catches up when it is back.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Registry } from 'prom-client';
import type { ConfigStore } from '../store/types';
import { backupMetrics, type BackupMetrics } from '../config/sources/metrics';
import { backoffDelay, silentLogger, type SourceLogger } from '../config/sources/logger';
import { putLatest, putVersion, readLatestPointer, type S3Location } from '../config/sources/s3';

/** How often the backup checks the store even without a local commit (other control-plane instances write too). */
export const DEFAULT_BACKUP_CHECK_INTERVAL_MS = 10_000;
export const DEFAULT_BACKUP_RETRY_BASE_MS = 500;
export const DEFAULT_BACKUP_RETRY_MAX_MS = 60_000;

export interface ConfigBackupOptions {
  store: Pick<ConfigStore, 'head' | 'get'>;
  client: S3Client;
  location: S3Location;
  checkIntervalMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  logger?: SourceLogger;
  registry?: Registry;
}

export class ConfigBackup {
  private readonly metrics: BackupMetrics;
  private readonly log: SourceLogger;
  /** Highest version known to be in S3 (undefined until the `latest` pointer was read). */
  private backedUp: number | undefined;
  private inflight: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

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

  /** Asks for a backup run now (after a commit). */
  trigger(): void {
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
    const delay = this.failures
      ? backoffDelay(this.failures, this.options.retryBaseMs ?? DEFAULT_BACKUP_RETRY_BASE_MS, this.options.retryMaxMs ?? DEFAULT_BACKUP_RETRY_MAX_MS)
      : (this.options.checkIntervalMs ?? DEFAULT_BACKUP_CHECK_INTERVAL_MS);
    this.timer = setTimeout(() => this.trigger(), delay);
  }

  private async runOnce(): Promise<void> {
    const { store, client, location } = this.options;
    let head;
    try {
      head = await store.head();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'backup: config store unavailable; will retry');
      return;
    }
    if (!head) return this.setLag(0, undefined);
    let pendingSince: string | undefined;
    try {
      if (this.backedUp === undefined) this.backedUp = (await readLatestPointer(client, location))?.version ?? 0;
      for (let n = this.backedUp + 1; n <= head.version && !this.stopped; n++) {
        const v = await store.get(n);
        if (!v) continue; // pruned by retention before it could be backed up
        pendingSince = v.createdAt;
        await putVersion(client, location, v);
        await putLatest(client, location, v);
        this.backedUp = n;
        pendingSince = undefined;
      }
      this.failures = 0;
      this.setLag(0, undefined);
    } catch (err) {
      this.failures++;
      this.metrics.failures.inc();
      this.setLag(head.version - (this.backedUp ?? 0), pendingSince ?? head.createdAt);
      this.log.warn({ err: (err as Error).message, backedUp: this.backedUp, head: head.version }, 'backup: S3 upload failed; retrying with backoff');
    }
  }

  private setLag(versions: number, oldestPendingCreatedAt: string | undefined): void {
    this.metrics.lagVersions.set(versions);
    const created = oldestPendingCreatedAt ? Date.parse(oldestPendingCreatedAt) : NaN;
    this.metrics.lagSeconds.set(Number.isFinite(created) ? Math.max(0, (Date.now() - created) / 1000) : 0);
  }
}
