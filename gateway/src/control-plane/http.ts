/** Request parsing and answers shared by the admin routes. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../core/errors';
import type { ChangeOutcome, ChangeRequest } from './config-service';
import type { SecretsView } from './secrets';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller (set by the auth hook). */
    admin?: { role: 'admin' | 'viewer'; id: string };
  }
  interface FastifySchema {
    /** OpenAPI grouping and one-line description (see openapi.ts). */
    tags?: string[];
    summary?: string;
  }
  interface FastifyContextConfig {
    /** `read` routes accept viewers; `write` routes need the admin role. */
    access?: 'read' | 'write';
  }
}

type Query = Record<string, string | undefined>;

/** True for `?name=true` or `?name=1` (or the equivalent `X-Gatehouse-<Name>` header). */
export function flag(req: FastifyRequest, name: string): boolean {
  const q = (req.query as Query)[name] ?? (req.headers[`x-gatehouse-${name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`] as string | undefined);
  return q === 'true' || q === '1';
}

/** How a read shows secrets: `?secrets=plaintext` (admins only; 403 for viewers) or placeholders (the default). */
export function secretsView(req: FastifyRequest): SecretsView {
  const asked = (req.query as Query).secrets;
  if (asked === undefined || asked === 'placeholder') return 'placeholder';
  if (asked !== 'plaintext') throw new GatehouseError('GW_ERR_BAD_REQUEST', `secrets must be "placeholder" or "plaintext" (got "${asked}").`);
  if (req.admin?.role !== 'admin') throw new GatehouseError('GW_ERR_SECRETS_PLAINTEXT_FORBIDDEN');
  return 'plaintext';
}

/** The version named by If-Match (`"5"`, `5` or `W/"5"`; `*` or absent means any). */
export function ifMatch(req: FastifyRequest): number | undefined {
  const raw = req.headers['if-match'];
  if (raw === undefined || raw.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,10})"?\s*$/.exec(raw);
  if (!m || Number(m[1]) > MAX_VERSION) throw new GatehouseError('GW_ERR_BAD_REQUEST', `If-Match "${raw}" is not a config version; send the ETag you read, e.g. If-Match: "12".`);
  return Number(m[1]);
}

/** The change request described by the query and headers. */
export function changeRequest(req: FastifyRequest, defaultMessage: string): ChangeRequest {
  const message = (req.query as Query).message ?? (req.headers['x-gatehouse-message'] as string | undefined) ?? defaultMessage;
  return {
    author: req.admin ? `${req.admin.role}:${req.admin.id}` : 'unknown',
    message: message.slice(0, 1024),
    expectedVersion: ifMatch(req),
    allowDrop: flag(req, 'allowDrop'),
    dryRun: flag(req, 'dryRun'),
    idempotencyKey: idempotencyKey(req),
  };
}

/** Longest Idempotency-Key accepted (a UUID is 36 characters). */
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** The Idempotency-Key header, or undefined when absent. */
function idempotencyKey(req: FastifyRequest): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length < 1 || raw.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(raw))
    throw new GatehouseError('GW_ERR_BAD_REQUEST', `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters, sent once; a UUID is a good key.`);
  return raw;
}

/** The largest config version (and list bound) the store can hold: PostgreSQL's `integer`. */
export const MAX_VERSION = 2_147_483_647;

/** A whole number from 1 to MAX_VERSION in a path or query parameter, or a 400 naming it and the range. */
export function positiveInt(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined || !/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > MAX_VERSION)
    throw new GatehouseError('GW_ERR_BAD_REQUEST', `${name} must be a whole number from 1 to ${MAX_VERSION} (got "${value ?? ''}").`);
  return Number(value);
}

/** Sets the ETag to a version. */
export function etag(reply: FastifyReply, version: number): FastifyReply {
  return reply.header('etag', `"${version}"`);
}

/** Answers a write (or dry run) with the new version, its diff and `extra`. */
export function sendOutcome(reply: FastifyReply, outcome: ChangeOutcome, status: number, extra: object = {}): FastifyReply {
  if (outcome.dryRun) return etag(reply, outcome.baseVersion).code(200).send({ dryRun: true, baseVersion: outcome.baseVersion, diff: outcome.diff, ...extra });
  const { version, checksum, createdAt, author, message, intendedDrop, write } = outcome.version;
  // A no-op answers 200 with the current version: nothing was written.
  if (outcome.unchanged) return etag(reply, version).code(200).send({ unchanged: true, version, checksum, diff: outcome.diff, ...extra });
  // A replay answers 200 with the first write's version: nothing was written now.
  if (write?.replayed) return etag(reply, version).code(200).send({ version, checksum, createdAt, author, message, intendedDrop, writeId: write.id, replayed: true });
  return etag(reply, version).code(status).send({ version, checksum, createdAt, author, message, intendedDrop, writeId: write?.id, diff: outcome.diff, ...extra });
}
