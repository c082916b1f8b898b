/**
 * When a version keeps its whole document (a snapshot) instead of only its change set, and what
 * retention keeps so that every retained version can still be assembled.
 */
import type { SqlSession } from './sql';

/** A snapshot at least every this many versions, so reading a version replays at most this many change sets. */
export const SNAPSHOT_EVERY_VERSIONS = 32;
/** …or once this many resource changes were written since the last snapshot; a single change set this large is stored whole. */
export const SNAPSHOT_EVERY_CHANGES = 5_000;

/**
 * Whether a new version (written as a change set of `changeRows` rows) is due a snapshot, given the
 * newest snapshot stored or `scheduled` (one this writer is still writing).
 */
export async function snapshotDue(s: SqlSession, version: number, changeRows: number, scheduled = 0): Promise<boolean> {
  const [last] = await s.query<{ version: number | null }>('SELECT max(version) AS version FROM gatehouse_config_versions WHERE document IS NOT NULL');
  if (last?.version == null && !scheduled) return true;
  const from = Math.max(Number(last?.version ?? 0), scheduled);
  if (version - from >= SNAPSHOT_EVERY_VERSIONS) return true;
  // At most SNAPSHOT_EVERY_VERSIONS versions: their row counts, not a count over the change log.
  const [n] = await s.query<{ n: number }>(
    'SELECT coalesce(sum((SELECT count(*) FROM gatehouse_config_changes c WHERE c.version = v.version)), 0)::int AS n FROM gatehouse_config_versions v WHERE v.version > $1',
    [from],
  );
  return Number(n?.n ?? 0) + changeRows >= SNAPSHOT_EVERY_CHANGES;
}

/**
 * Retention after committing `version`: versions at or below `version - retention` leave the history
 * (deleted, or only marked pruned while the oldest retained version is assembled from them), their
 * write records go, and change sets no retained version needs are deleted.
 */
export async function pruneVersions(s: SqlSession, version: number, retention: number): Promise<void> {
  const cutoff = version - retention;
  if (cutoff < 1) return;
  // The snapshot the oldest retained version is assembled from; every row below it can go.
  const [base] = await s.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM gatehouse_config_versions WHERE version <= $1 AND document IS NOT NULL',
    [cutoff + 1],
  );
  const keepFrom = base?.version == null ? cutoff + 1 : Number(base.version);
  await s.query('DELETE FROM gatehouse_config_versions WHERE version < $1', [keepFrom]);
  await s.query('UPDATE gatehouse_config_versions SET pruned = true WHERE version >= $1 AND version <= $2 AND NOT pruned', [keepFrom, cutoff]);
  await s.query('DELETE FROM gatehouse_config_writes WHERE version <= $1', [cutoff]);
  await s.query('DELETE FROM gatehouse_config_changes WHERE version < $1', [keepFrom]);
}
