/** Config sync and backup metrics (`gatehouse_` prefix), declared on the node's registry (`core/metrics.ts`). */
import { Counter, Gauge } from 'prom-client';
import { declareMetrics } from '../core/metrics';
import type { ConfigSource } from '../data-plane/types';

export interface SyncMetrics {
  version: Gauge;
  source: Gauge<'source'>;
  lastSync: Gauge;
  syncErrors: Counter<'reason'>;
  propagationLag: Gauge;
}

export interface BackupMetrics {
  lagVersions: Gauge;
  /** Computed at each scrape from `oldestPending`, so it keeps growing while the backup is stuck. */
  lagSeconds: Gauge;
  failures: Counter;
  /** Commit time (Unix ms) of the oldest version not yet in S3; undefined when none is pending. */
  oldestPending: { at: number | undefined };
}

/** The sync metrics on the node's registry. */
export const syncMetrics = declareMetrics((registry): SyncMetrics => {
  const registers = [registry];
  return {
    version: new Gauge({ name: 'gatehouse_config_sync_version', help: 'Config version the sync last applied.', registers }),
    source: new Gauge({ name: 'gatehouse_config_sync_source', help: 'Where the running config version came from (1 for the current source).', labelNames: ['source'], registers }),
    lastSync: new Gauge({ name: 'gatehouse_config_sync_last_success_timestamp_seconds', help: 'Unix time of the last successful check against the config store.', registers }),
    syncErrors: new Counter({ name: 'gatehouse_config_sync_errors_total', help: 'Failed or refused config syncs, by reason.', labelNames: ['reason'], registers }),
    propagationLag: new Gauge({ name: 'gatehouse_config_propagation_lag_seconds', help: 'Time from a version being committed to this data plane applying it.', registers }),
  };
});

/** The S3 backup metrics on the node's registry. */
export const backupMetrics = declareMetrics((registry): BackupMetrics => {
  const registers = [registry];
  const oldestPending: BackupMetrics['oldestPending'] = { at: undefined };
  return {
    oldestPending,
    lagVersions: new Gauge({ name: 'gatehouse_config_backup_lag_versions', help: 'Config versions committed but not yet backed up to S3.', registers }),
    lagSeconds: new Gauge({
      name: 'gatehouse_config_backup_lag_seconds',
      help: 'Age of the oldest config version not yet backed up to S3 (0 when up to date).',
      registers,
      collect() {
        this.set(oldestPending.at === undefined ? 0 : Math.max(0, (Date.now() - oldestPending.at) / 1000));
      },
    }),
    failures: new Counter({ name: 'gatehouse_config_backup_failures_total', help: 'Failed S3 backup attempts (retried).', registers }),
  };
});

/** Marks `source` as the running source. */
export function setRunningSource(m: SyncMetrics, source: ConfigSource): void {
  for (const s of ['store', 'file', 'last-known-good', 's3'] as const) m.source.set({ source: s }, s === source ? 1 : 0);
}
