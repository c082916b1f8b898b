/** The config store over SQL: the same queries for PostgreSQL (`pg`) and PGlite. */
import { textChecksum } from '../core/checksum';
import { actualChecksumInSlices, verifyChecksum } from '../core/version-checksum';
import type { GatewayConfig } from '../config/schema';
import { diffDocuments, documentDigest, documentText, resourceHashOf, resourceText, updatedDigest, type ResourceChange, type ResourceKind } from '../config/change-set';
import { assembleVersion, BrokenChainError } from './assemble';
import { pruneVersions, snapshotDue, SNAPSHOT_EVERY_CHANGES } from './snapshots';
import { DigestSum } from '../core/resource-digest';
import { GatehouseError } from '../core/errors';
import { StoreDeadlineError, type SqlClient, type SqlSession } from './sql';
import { digestOfVersion, emptyDocument, withCanonicalText, withDigest, type ChangesSince, type StoredChange, type ConfigChange, type ConfigStore, type ConfigVersion, type ConfigVersionHead, type Unwatch, type WriteRecord } from './types';

/** The channel new version numbers are announced on. */
export const CONFIG_CHANNEL = 'gatehouse_config';
/** Versions kept by default; the current one is never deleted. */
export const DEFAULT_RETENTION_VERSIONS = 100;
/** Change rows past which `changesSince` answers "fetch the whole document" (it is then cheaper). */
export const DEFAULT_MAX_CHANGES = 10_000;
/** Advisory lock that serialises config writes across control-plane instances. */
const WRITE_LOCK_KEY = '7454591101394253362';

const isoTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const HEAD_COLUMNS = `version, checksum, author, message, intended_drop, route_count, ${isoTime('created_at')} AS created_at, ${isoTime('restored_at')} AS restored_at`;
const CHAIN_COLUMNS = `${HEAD_COLUMNS}, digest, changes_from`;

interface HeadRow {
  version: number;
  checksum: string;
  author: string;
  message: string;
  intended_drop: boolean;
  route_count: number;
  created_at: string;
  restored_at: string | null;
}

interface ChainRow extends HeadRow {
  digest: string | null;
  changes_from: number | null;
}

const toHead = (r: HeadRow): ConfigVersionHead => ({
  version: Number(r.version),
  checksum: r.checksum,
  author: r.author,
  message: r.message,
  intendedDrop: r.intended_drop,
  routeCount: Number(r.route_count),
  createdAt: r.created_at,
  ...(r.restored_at ? { restoredAt: r.restored_at } : {}),
});

/**
 * Any failure that is not one of ours means the store could not do its job: the caller answers 503.
 * The driver's text is the cause, for the log; a client only ever gets the defined message.
 */
function unavailable(err: unknown): never {
  if (err instanceof GatehouseError) throw err;
  throw new GatehouseError('GW_ERR_STORE_UNAVAILABLE', undefined, [], err);
}

/** A write whose outcome is unknown: COMMIT was sent and no answer came before the deadline. */
export class WriteOutcomeUnknownError extends GatehouseError {
  constructor(readonly writeId: string, deadlineMs: number) {
    super('GW_ERR_STORE_TIMEOUT', `(write ${writeId}, no answer within ${deadlineMs} ms)`);
  }
}

/** A stored version whose document does not match its checksum. */
export class CorruptVersionError extends GatehouseError {
  /** @param intactVersion the newest version that matches its checksum (0: none), once looked up. */
  constructor(
    readonly version: number,
    readonly intactVersion?: number,
  ) {
    super(
      'GW_ERR_STORE_CORRUPT',
      intactVersion === undefined
        ? `Version ${version} is the one that does not match.`
        : intactVersion
          ? `Version ${version} is the one that does not match; the newest intact version is ${intactVersion}: POST /admin/v1/versions/${intactVersion}/rollback repairs it.`
          : `Version ${version} is the one that does not match and no older version is intact: restore one from the S3 backup (see docs/RUNBOOK.md).`,
    );
  }
}

interface ChangeRow {
  readonly kind: ResourceKind;
  readonly id: string;
  readonly position: number | null;
  readonly body: string | null;
  readonly hash: string | null;
}

/** The change rows and digest of `after` written over `before`, or undefined when no change set describes it. */
function changeSet(before: GatewayConfig, after: GatewayConfig, previousDigest: string | undefined, known?: readonly ResourceChange[]): { rows: ChangeRow[]; digest: string } | undefined {
  const changes = known ?? diffDocuments(before, after);
  if (!changes) return undefined;
  const rows = changes.map((c: ResourceChange): ChangeRow => {
    const body = c.body === undefined ? null : resourceText(c.body);
    return { kind: c.kind, id: c.id, position: c.position ?? null, body, hash: body === null ? null : resourceHashOf(c.kind, c.id, c.body) };
  });
  const digest = previousDigest
    ? updatedDigest(
        previousDigest,
        changes.filter((c) => 'previous' in c).map((c) => ({ kind: c.kind, id: c.id, body: c.previous })),
        rows.filter((r) => r.hash !== null).map((r) => ({ kind: r.kind, id: r.id, hash: r.hash! })),
      )
    : documentDigest(after);
  return { rows, digest };
}

/** The digest of a document that has no change set (it may not even be a well-formed document). */
function safeDigest(document: GatewayConfig): string | null {
  try {
    return documentDigest(document);
  } catch {
    return null;
  }
}

/** Writes a version's change rows in one statement. */
async function insertChanges(s: SqlSession, version: number, rows: readonly ChangeRow[]): Promise<void> {
  await s.query(
    `INSERT INTO gatehouse_config_changes (version, seq, kind, id, position, body, hash)
     SELECT $1, t.seq, t.kind, t.id, t.position, t.body, t.hash
     FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[]) AS t(seq, kind, id, position, body, hash)`,
    [version, rows.map((_, i) => i), rows.map((r) => r.kind), rows.map((r) => r.id), rows.map((r) => r.position), rows.map((r) => r.body), rows.map((r) => r.hash)],
  );
}

/** Throws when the version's content does not match its checksum (checked in slices: the process may also proxy). */
export async function verifyVersion(v: ConfigVersion): Promise<ConfigVersion> {
  if ((await actualChecksumInSlices(v)) !== v.checksum) throw new CorruptVersionError(v.version);
  return v;
}

export interface SqlConfigStoreOptions {
  /** Versions to keep (at least 1); older ones are deleted in the write transaction. */
  retention?: number;
}

export class SqlConfigStore implements ConfigStore {
  private readonly retention: number;
  /** The snapshot writes scheduled after commits, in order. */
  private snapshotting: Promise<void> = Promise.resolve();
  /** The newest version a snapshot was scheduled for (it may not be written yet). */
  private snapshotScheduled = 0;

  constructor(
    private readonly db: SqlClient,
    options: SqlConfigStoreOptions = {},
  ) {
    this.retention = Math.max(1, options.retention ?? DEFAULT_RETENTION_VERSIONS);
  }

  async head(): Promise<ConfigVersionHead | undefined> {
    const rows = await this.db
      .query<HeadRow>(`SELECT ${HEAD_COLUMNS} FROM gatehouse_config_versions WHERE NOT pruned ORDER BY version DESC LIMIT 1`)
      .catch(unavailable);
    return rows[0] && toHead(rows[0]);
  }

  async get(version: number): Promise<ConfigVersion | undefined> {
    return this.readVersion(this.db, version).catch(unavailable);
  }

  async list(options: { limit: number; before?: number }): Promise<ConfigVersionHead[]> {
    const rows = await this.db
      .query<HeadRow>(
        `SELECT ${HEAD_COLUMNS} FROM gatehouse_config_versions WHERE version < $1 AND NOT pruned ORDER BY version DESC LIMIT $2`,
        [options.before ?? 2_147_483_647, options.limit],
      )
      .catch(unavailable);
    return rows.map(toHead);
  }

  async commit(change: ConfigChange): Promise<ConfigVersion> {
    let snapshot: { version: number; document: GatewayConfig } | undefined;
    return this.db
      .transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [WRITE_LOCK_KEY]);
        const headRows = await tx.query<{ version: number }>('SELECT max(version) AS version FROM gatehouse_config_versions');
        const headVersion = headRows[0]?.version == null ? undefined : Number(headRows[0].version);
        const cached = change.cached && change.cached.version === headVersion ? change.cached : undefined;
        if (change.write?.idempotencyKey !== undefined) {
          const earlier = await this.replay(tx, change.write.idempotencyKey);
          if (earlier) return earlier;
        }
        const current = headVersion === undefined ? undefined : cached ? await this.readHead(tx, headVersion) : await this.readHeadWhole(tx, headVersion, change.overCorruptHead === true);
        // A head this writer did not write itself is verified before anything is built on it.
        if (current && !cached && !change.overCorruptHead) await verifyVersion(current as ConfigVersion);
        if (change.expectedVersion !== undefined && change.expectedVersion !== (headVersion ?? 0))
          throw new GatehouseError(
            'GW_ERR_VERSION_CONFLICT',
            `You sent If-Match "${change.expectedVersion}" but the current version is ${headVersion ?? 0}.`,
          );
        const base = cached?.document ?? (current as ConfigVersion | undefined)?.document ?? emptyDocument();
        const { document, intendedDrop = false, changes: known } = await change.build(base, current);
        const version = change.version ?? (headVersion ?? 0) + 1;
        if (version <= (headVersion ?? 0))
          throw new GatehouseError('GW_ERR_VERSION_CONFLICT', `Version ${version} is not above the current version ${headVersion ?? 0}.`);
        // A change set over a head that does not match its checksum would describe the damage: none is written.
        const intact = cached !== undefined || current === undefined || !change.overCorruptHead || (await actualChecksumInSlices(current as ConfigVersion)) === current.checksum;
        const before = intact ? (cached?.document ?? (current as ConfigVersion | undefined)?.document ?? emptyDocument()) : undefined;
        const set = before && changeSet(before, document, headVersion === undefined ? new DigestSum().toString() : await this.digestOf(tx, headVersion), before === base ? known : undefined);
        // Only a writer that holds the head in memory writes a bare change set: any other has just read
        // the whole head, and a change set this large is cheaper read whole than replayed.
        const bare = cached !== undefined && set !== undefined && set.rows.length < SNAPSHOT_EVERY_CHANGES;
        const due = bare && (await snapshotDue(tx, version, set.rows.length, this.snapshotScheduled));
        const text = bare ? undefined : documentText(document);
        // The head's checksum is its digest (updated from the changed resources only): a write does no
        // whole-document hashing. Only a document that is not well-formed, which has no digest, gets the sha256.
        const digest = set?.digest ?? safeDigest(document);
        if (change.checksum !== undefined && !verifyChecksum(document, change.checksum, text)) throw new CorruptVersionError(version);
        const checksum = change.checksum ?? digest ?? textChecksum(text ?? documentText(document));
        const rows = await tx.query<HeadRow>(
          `INSERT INTO gatehouse_config_versions (version, document, checksum, author, message, intended_drop, route_count, created_at, restored_at, digest, changes_from)
           VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8::timestamptz, now()), CASE WHEN $8::timestamptz IS NULL THEN NULL ELSE now() END, $9, $10)
           RETURNING ${HEAD_COLUMNS}`,
          [version, text ?? null, checksum, change.author, change.message ?? '', intendedDrop, document.routes.length, change.createdAt ?? null, digest, set ? (headVersion ?? 0) : null],
        );
        snapshot = due ? { version, document } : undefined;
        if (set?.rows.length) await insertChanges(tx, version, set.rows);
        if (change.write)
          await tx.query('INSERT INTO gatehouse_config_writes (id, idempotency_key, version, author) VALUES ($1, $2, $3, $4)', [
            change.write.id,
            change.write.idempotencyKey ?? null,
            version,
            change.author,
          ]);
        await pruneVersions(tx, version, this.retention);
        await tx.query('SELECT pg_notify($1, $2)', [CONFIG_CHANNEL, String(version)]);
        const head = withDigest({ ...toHead(rows[0]!), document }, digest);
        const committed = text === undefined ? head : withCanonicalText(head, text);
        return change.write ? withDigest({ ...committed, write: { id: change.write.id, replayed: false } }, digestOfVersion(committed)) : committed;
      })
      .then((committed) => {
        if (snapshot) this.writeSnapshotLater(snapshot.version, snapshot.document);
        return committed;
      })
      .catch((err: unknown) => {
        if (err instanceof StoreDeadlineError && err.commitSent && change.write) throw new WriteOutcomeUnknownError(change.write.id, err.deadlineMs);
        return unavailable(err);
      });
  }

  async changesSince(from: number, options: { maxChanges?: number } = {}): Promise<ChangesSince> {
    const maxChanges = options.maxChanges ?? DEFAULT_MAX_CHANGES;
    return this.db
      .transaction(async (tx): Promise<ChangesSince> => {
        const heads = await tx.query<ChainRow>(`SELECT ${CHAIN_COLUMNS} FROM gatehouse_config_versions WHERE version > $1 AND NOT pruned ORDER BY version`, [from]);
        if (heads.length === 0) return { ok: true, versions: [] };
        let base = from;
        for (const h of heads) {
          if (h.changes_from === null || !h.digest) return { ok: false, reason: `version ${h.version} has no change set` };
          // The chain is broken when retention pruned the versions after `from`.
          if (Number(h.changes_from) !== base) return { ok: false, reason: `version ${base} is too far behind: the change log starts after it` };
          base = Number(h.version);
        }
        const last = Number(heads.at(-1)!.version);
        const [count] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM gatehouse_config_changes WHERE version > $1 AND version <= $2', [from, last]);
        if (Number(count?.n) > maxChanges) return { ok: false, reason: `${count!.n} changes since version ${from} (more than ${maxChanges})` };
        const rows = await tx.query<{ version: number; kind: ResourceKind; id: string; position: number | null; body: string | null; hash: string | null }>(
          'SELECT version, kind, id, position, body, hash FROM gatehouse_config_changes WHERE version > $1 AND version <= $2 ORDER BY version, seq',
          [from, last],
        );
        const byVersion = new Map<number, StoredChange[]>();
        for (const r of rows) {
          const list = byVersion.get(Number(r.version)) ?? [];
          list.push({ kind: r.kind, id: r.id, ...(r.position === null ? {} : { position: Number(r.position) }), ...(r.body === null ? {} : { text: r.body, hash: r.hash ?? '' }) });
          byVersion.set(Number(r.version), list);
        }
        return { ok: true, versions: heads.map((h) => ({ head: toHead(h), digest: h.digest!, changes: byVersion.get(Number(h.version)) ?? [] })) };
      })
      .catch(unavailable);
  }

  async findWrite(id: string): Promise<WriteRecord | undefined> {
    return this.db
      .transaction(async (tx) => {
        // Every write holds this lock from before it inserts its record until it commits or aborts,
        // so once we hold it, a missing record means the write never committed and never will.
        await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [WRITE_LOCK_KEY]);
        const rows = await tx.query<{ id: string; version: number; author: string; created_at: string }>(
          `SELECT id, version, author, ${isoTime('created_at')} AS created_at FROM gatehouse_config_writes WHERE id = $1`,
          [id],
        );
        const r = rows[0];
        return r && { id: r.id, version: Number(r.version), author: r.author, createdAt: r.created_at };
      })
      .catch(unavailable);
  }

  async watch(onVersion: (version: number) => void, onError: (err: Error) => void): Promise<Unwatch> {
    return this.db
      .listen(
        CONFIG_CHANNEL,
        (payload) => {
          const version = Number(payload);
          if (Number.isInteger(version) && version > 0) onVersion(version);
        },
        onError,
      )
      .catch(unavailable);
  }

  async getMarker(key: string): Promise<string | undefined> {
    const rows = await this.db.query<{ value: string }>('SELECT value FROM gatehouse_markers WHERE key = $1', [key]).catch(unavailable);
    return rows[0]?.value;
  }

  async setMarker(key: string, value: string): Promise<void> {
    await this.db
      .query(
        `INSERT INTO gatehouse_markers (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
        [key, value],
      )
      .catch(unavailable);
  }

  async close(): Promise<void> {
    await this.snapshotting;
    return this.db.close();
  }

  /** Resolves when the snapshots scheduled so far are written (tests, shutdown). */
  snapshotsWritten(): Promise<void> {
    return this.snapshotting;
  }

  /** The version an earlier write with this idempotency key produced, marked as a replay. */
  private async replay(s: SqlSession, idempotencyKey: string): Promise<ConfigVersion | undefined> {
    const rows = await s.query<{ id: string; version: number }>('SELECT id, version FROM gatehouse_config_writes WHERE idempotency_key = $1', [idempotencyKey]);
    const earlier = rows[0] && (await this.readVersion(s, Number(rows[0].version)));
    return earlier && withCanonicalText({ ...earlier, write: { id: rows[0]!.id, replayed: true } }, earlier.canonicalText!);
  }

  private async digestOf(s: SqlSession, version: number): Promise<string | undefined> {
    const rows = await s.query<{ digest: string | null }>('SELECT digest FROM gatehouse_config_versions WHERE version = $1', [version]);
    return rows[0]?.digest ?? undefined;
  }

  private async readHead(s: SqlSession, version: number): Promise<ConfigVersionHead | undefined> {
    const rows = await s.query<HeadRow>(`SELECT ${HEAD_COLUMNS} FROM gatehouse_config_versions WHERE version = $1 AND NOT pruned`, [version]);
    return rows[0] && toHead(rows[0]);
  }

  /** The head with its document; a repair over a head whose change chain is broken gets it with an empty document (which fails its checksum). */
  private async readHeadWhole(s: SqlSession, version: number, overCorruptHead: boolean): Promise<ConfigVersionHead | ConfigVersion | undefined> {
    try {
      return await this.readVersion(s, version);
    } catch (err) {
      if (!(overCorruptHead && err instanceof CorruptVersionError)) throw err;
      const head = await this.readHead(s, version);
      return head && { ...head, document: emptyDocument() };
    }
  }

  private async readVersion(s: SqlSession, version: number): Promise<ConfigVersion | undefined> {
    // The document travels as text and is parsed here, so both drivers return the same thing.
    const rows = await s.query<HeadRow & { document: string | null; digest: string | null }>(
      `SELECT ${HEAD_COLUMNS}, digest, document::text AS document FROM gatehouse_config_versions WHERE version = $1 AND NOT pruned`,
      [version],
    );
    const row = rows[0];
    if (!row) return undefined;
    if (row.document !== null) return withDigest(withCanonicalText({ ...toHead(row), document: JSON.parse(row.document) as GatewayConfig }, row.document), row.digest);
    const assembled = await assembleVersion(s, version).catch((err: unknown) => {
      // A chain that cannot be replayed is damage to this version, answered like a checksum mismatch.
      if (err instanceof BrokenChainError) throw new CorruptVersionError(version);
      throw err;
    });
    return withDigest(withCanonicalText({ ...toHead(row), document: assembled.document }, assembled.text), row.digest);
  }

  /** Writes the whole document of a version committed as a change set, after the commit (off the request path). */
  private writeSnapshotLater(version: number, document: GatewayConfig): void {
    this.snapshotScheduled = Math.max(this.snapshotScheduled, version);
    this.snapshotting = this.snapshotting
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => this.db.query('UPDATE gatehouse_config_versions SET document = $1 WHERE version = $2 AND document IS NULL', [documentText(document), version]))
      // A snapshot that failed costs only a longer replay; the next commit finds it due again.
      .then(
        () => undefined,
        () => undefined,
      );
  }
}
