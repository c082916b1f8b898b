/**
 * The admin API's HTTP contract as its clients see it: answer shapes, header names and query flags.
 * The `gatehouse` CLI talks to the admin API only through these names, so it never reaches into the
 * server's code (this file imports nothing of the control plane).
 */
import type { Problem } from '../core/errors';

/** One changed field, as a JSON Patch operation on the id-keyed document (`/routes/<id>/<field>`); `before` is the old value. */
export type FieldChange =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string; before: unknown }
  | { op: 'replace'; path: string; value: unknown; before: unknown }
  | { op: 'move'; from: string; path: string };

/** The diff every write, dry run, `/validate` and version diff answers with. */
export interface ConfigDiffAnswer {
  routes: { added: string[]; removed: string[]; changed: string[] };
  upstreams: { added: string[]; removed: string[]; changed: string[] };
  consumers: { added: string[]; removed: string[]; changed: string[] };
  plugins: { added: string[]; removed: string[]; changed: string[] };
  changes: FieldChange[];
  unchanged: boolean;
}

/** A write's answer: a new version, a replay of an earlier one, an `unchanged` no-op, or a dry run. */
export interface WriteAnswer {
  version?: number;
  baseVersion?: number;
  checksum?: string;
  dryRun?: boolean;
  unchanged?: boolean;
  replayed?: boolean;
  writeId?: string;
  diff?: ConfigDiffAnswer;
}

/** Every error answer. */
export interface ErrorAnswer {
  error: { code: string; message: string };
  problems?: Problem[];
}

/** A changed secret in a diff: the values are never shown, only that the stored one differs. */
export const CHANGED_SECRET = '(secret, changed)';

/** `GET /admin/v1/config?defaults=omit`: the document without the values its schema fills in by default. */
export const OMIT_DEFAULTS_QUERY = 'defaults=omit';

/** Admin API paths the CLI uses. */
export const AdminPaths = {
  config: '/admin/v1/config',
  validate: '/admin/v1/validate',
  versions: '/admin/v1/versions',
  version: (n: number) => `/admin/v1/versions/${n}`,
  versionDiff: (a: number, b: number) => `/admin/v1/versions/${a}/diff/${b}`,
  rollback: (n: number) => `/admin/v1/versions/${n}/rollback`,
  nodes: '/admin/v1/nodes',
} as const;

/**
 * The S3 deploy channel (`gatehouse apply --via s3://bucket/prefix`), under the backup prefix: the CLI
 * writes `<prefix>/deploy/requests/<key>.json` (the key is also the write's Idempotency-Key), the
 * control plane applies it and writes `<prefix>/deploy/results/<key>.json`, then deletes the request.
 */
export const DeployChannel = {
  requests: (prefix: string) => `${prefix.replace(/\/+$/, '')}/deploy/requests/`,
  request: (prefix: string, key: string) => `${DeployChannel.requests(prefix)}${key}.json`,
  result: (prefix: string, key: string) => `${prefix.replace(/\/+$/, '')}/deploy/results/${key}.json`,
  /** Request keys: what the CLI makes (a UUID) and the control plane accepts. */
  keyPattern: /^[A-Za-z0-9-]{1,64}$/,
  /** Object metadata naming who asked (`x-amz-meta-author`). */
  authorMetadata: 'author',
} as const;

export interface DeployRequest {
  document: unknown;
  /** If-Match: the version the CLI diffed against (from its dry run). */
  expectedVersion?: number;
  allowDrop?: boolean;
  dryRun?: boolean;
  message?: string;
}

export interface DeployResult {
  key: string;
  outcome: 'applied' | 'unchanged' | 'dry-run' | 'refused';
  author: string;
  version?: number;
  baseVersion?: number;
  diff?: ConfigDiffAnswer;
  error?: { code: string; message: string };
  problems?: Problem[];
}

/** `GET /admin/v1/nodes`: every data plane from its heartbeat, and the store's current version. */
export interface FleetAnswer {
  nodes: {
    id: string;
    region?: string;
    role?: string;
    gatewayVersion?: string;
    configVersion?: number;
    checksum?: string;
    source?: string;
    lastSyncAt?: string;
    lastSeenAt: string;
    state: 'ok' | 'lagging' | 'quiet';
    errors?: unknown[];
  }[];
  configVersion: number;
}
