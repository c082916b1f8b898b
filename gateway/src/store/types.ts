/**
 * The config store contract: numbered, immutable config versions. The data plane only reads
 * (`head`, `get`, `watch`), so it works with read-only database credentials; only the control plane
 * commits.
 */
import type { GatewayConfig } from '../config/schema';
import type { ResourceChange } from '../config/change-set';

/** A version without its document: cheap to read on every poll. */
export interface ConfigVersionHead {
  readonly version: number;
  /** `sum256:<hex>`, the version's digest (core/resource-digest.ts); versions stored before it: `sha256:<hex>` of the canonical JSON of `document` (core/version-checksum.ts verifies both). */
  readonly checksum: string;
  readonly author: string;
  readonly message: string;
  /** The writer explicitly allowed this version to drop most (or all) routes. */
  readonly intendedDrop: boolean;
  readonly routeCount: number;
  /** ISO 8601 time the version was committed (for a restored version, when it was first committed). */
  readonly createdAt: string;
  /** ISO 8601 time the version was restored from a backup into this store; absent when it was written here. */
  readonly restoredAt?: string;
}

/** One stored resource change: its canonical text and hash travel as stored, so a reader can verify them. */
export interface StoredChange extends ResourceChange {
  /** The canonical JSON of `body` as stored (absent for a removal). */
  readonly text?: string;
  /** `sha256:<hex>` of kind, id and text as recorded (absent for a removal). */
  readonly hash?: string;
}

/** What changed after a version: every later version's head with its changes, oldest first. */
export type ChangesSince =
  | {
      readonly ok: true;
      /** `digest`: `sum256:<hex>` over the version's resources (core/resource-digest.ts), what applying its changes must lead to. */
      readonly versions: readonly { readonly head: ConfigVersionHead; readonly digest: string; readonly changes: readonly StoredChange[] }[];
    }
  /** The change log cannot bring the reader up to date: fetch the head whole. */
  | { readonly ok: false; readonly reason: string };

/** A committed admin write: which version it produced. */
export interface WriteRecord {
  readonly id: string;
  readonly version: number;
  readonly author: string;
  readonly createdAt: string;
}

/** One whole config version: the unit stored, announced, backed up and cached on disk. */
export interface ConfigVersion extends ConfigVersionHead {
  readonly document: GatewayConfig;
  /**
   * The canonical JSON of `document` as read, when the source kept it (non-enumerable, so it never
   * leaks into JSON answers): lets readers verify the checksum and write copies without re-serialising.
   */
  readonly canonicalText?: string;
  /** Set on a commit's result: the write that produced it, and whether it is a replay of an earlier write with the same Idempotency-Key. */
  readonly write?: { readonly id: string; readonly replayed: boolean };
}

/** The version's digest (`sum256:`, core/resource-digest.ts) when the store knows it; non-enumerable like the canonical text. */
export function digestOfVersion(version: ConfigVersion): string | undefined {
  return (version as { digest?: string }).digest;
}

/** Attaches the digest to a version without making it enumerable. */
export function withDigest<T extends ConfigVersion>(version: T, digest: string | null | undefined): T {
  if (digest) Object.defineProperty(version, 'digest', { value: digest, enumerable: false });
  return version;
}

/** Attaches the canonical text to a version without making it enumerable. */
export function withCanonicalText<T extends ConfigVersion>(version: T, text: string): T {
  Object.defineProperty(version, 'canonicalText', { value: text, enumerable: false });
  return version;
}

/** What a commit produces from the current document (inside the write transaction). */
export interface ConfigChangeResult {
  /** The whole new document, already validated (defaults filled). */
  readonly document: GatewayConfig;
  readonly intendedDrop?: boolean;
  /** `diffDocuments(current, document)` when the builder already computed it (the document `build` received is `current`): saves the store a pass over the document. */
  readonly changes?: readonly ResourceChange[];
}

export interface ConfigChange {
  readonly author: string;
  readonly message?: string;
  /** Optimistic concurrency: the version the writer read; the commit fails with 412 when the head moved. */
  readonly expectedVersion?: number;
  /** Builds the new document from the current one (empty document when there is no version yet); may throw a GatehouseError. */
  build(current: GatewayConfig, head: ConfigVersionHead | undefined): ConfigChangeResult | Promise<ConfigChangeResult>;
  /** Restore only: the number to give the new version (above the head), e.g. the backup's own number. */
  readonly version?: number;
  /** A copy of the current version the writer already holds; used instead of re-reading it when it is still the head. */
  readonly cached?: { readonly version: number; readonly document: GatewayConfig };
  /** Admin writes: recorded with the version; a second write with the same idempotency key returns the first one's version. */
  readonly write?: { readonly id: string; readonly idempotencyKey?: string };
  /** Restore only: the backup's own commit time, kept as `createdAt` (the restore time becomes `restoredAt`). */
  readonly createdAt?: string;
  /** Restore only: the backup's own checksum (either form), kept so data planes running it see the same version; refused when the document does not match it. */
  readonly checksum?: string;
  /** Rollback only: build even when the current version does not match its checksum (the repair of a tampered head). */
  readonly overCorruptHead?: boolean;
}

/** Stops a watch. */
export type Unwatch = () => Promise<void>;

export interface ConfigStore {
  /** The newest version's head, or undefined when the store holds no version. */
  head(): Promise<ConfigVersionHead | undefined>;
  /** One version with its document, or undefined when it does not exist (or was pruned). */
  get(version: number): Promise<ConfigVersion | undefined>;
  /**
   * The change sets of every version after `version`, up to the head; `ok: false` when the reader
   * is too far behind (retention pruned them), a version has no change set, or they would be larger
   * than `maxChanges` (a whole fetch is cheaper).
   */
  changesSince(version: number, options?: { maxChanges?: number }): Promise<ChangesSince>;
  /** Version heads, newest first. */
  list(options: { limit: number; before?: number }): Promise<ConfigVersionHead[]>;
  /** Applies a change atomically and announces the new version; throws GatehouseError (400/409/412/503). */
  commit(change: ConfigChange): Promise<ConfigVersion>;
  /**
   * Calls `onVersion` for every announced version (push). `onError` fires once when the listening
   * connection is lost; the caller decides when to watch again.
   */
  watch(onVersion: (version: number) => void, onError: (err: Error) => void): Promise<Unwatch>;
  /** The committed write with this id, or undefined when none committed; waits for a write still in progress. */
  findWrite(id: string): Promise<WriteRecord | undefined>;
  /** A small key/value record (for example the checksum of the last imported config file). */
  getMarker(key: string): Promise<string | undefined>;
  setMarker(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** An empty config document. */
export function emptyDocument(): GatewayConfig {
  return { routes: [], upstreams: [], consumers: [], plugins: {} };
}
