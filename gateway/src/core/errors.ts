/**
 * Every error Gatehouse answers with or raises at a boundary, defined once: a code, an HTTP status,
 * and a message that tells the reader what happened and how to fix it. Clients only ever see `code`
 * and `message`; internal details (addresses, stack traces, upstream errors) go to the log.
 */

export interface ErrorDefinition {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

const define = (code: string, status: number, message: string): ErrorDefinition => ({ code, status, message });

export const Errors = {
  // Proxy answers.
  GW_ERR_NO_ROUTE: define('GW_ERR_NO_ROUTE', 404, 'No route matches this request.'),
  GW_ERR_UPSTREAM_CONNECT: define('GW_ERR_UPSTREAM_CONNECT', 502, 'The upstream service could not be reached.'),
  GW_ERR_UPSTREAM_RESPONSE: define('GW_ERR_UPSTREAM_RESPONSE', 502, 'The upstream service sent an invalid response.'),
  GW_ERR_UPSTREAM_TIMEOUT: define('GW_ERR_UPSTREAM_TIMEOUT', 504, 'The upstream service did not answer in time.'),
  GW_ERR_NO_HEALTHY_TARGET: define('GW_ERR_NO_HEALTHY_TARGET', 503, 'No healthy upstream target is available.'),
  GW_ERR_NOT_READY: define('GW_ERR_NOT_READY', 503, 'The gateway has no config loaded yet.'),
  GW_ERR_BAD_REQUEST: define('GW_ERR_BAD_REQUEST', 400, 'The request is malformed.'),
  GW_ERR_METHOD_NOT_ALLOWED: define('GW_ERR_METHOD_NOT_ALLOWED', 405, 'This method is not allowed here.'),
  GW_ERR_HEADERS_TOO_LARGE: define('GW_ERR_HEADERS_TOO_LARGE', 431, 'The request has too many header fields.'),
  GW_ERR_BODY_TIMEOUT: define('GW_ERR_BODY_TIMEOUT', 408, 'The request body stopped arriving; send it without long pauses.'),
  GW_ERR_BAD_PATH: define('GW_ERR_BAD_PATH', 400, 'The request path is invalid (it escapes the root or has bad percent-encoding).'),
  GW_ERR_INTERNAL: define('GW_ERR_INTERNAL', 500, 'Internal gateway error.'),
  // Policy answers (generic on purpose: the detail goes to the log).
  GW_ERR_UNAUTHORIZED: define('GW_ERR_UNAUTHORIZED', 401, 'Authentication required.'),
  GW_ERR_FORBIDDEN: define('GW_ERR_FORBIDDEN', 403, 'Access denied.'),
  GW_ERR_RATE_LIMITED: define('GW_ERR_RATE_LIMITED', 429, 'Too many requests; retry after the time in Retry-After.'),
  GW_ERR_RATE_LIMIT_UNAVAILABLE: define('GW_ERR_RATE_LIMIT_UNAVAILABLE', 503, 'The rate limit cannot be checked right now; retry after the time in Retry-After.'),
  GW_ERR_AUTH_BUSY: define('GW_ERR_AUTH_BUSY', 503, 'Too many sign-ins are being checked right now; retry after the time in Retry-After.'),
  GW_ERR_PAYLOAD_TOO_LARGE: define('GW_ERR_PAYLOAD_TOO_LARGE', 413, 'The request body is larger than this route allows.'),
  // Config and settings.
  GW_ERR_CONFIG_INVALID: define('GW_ERR_CONFIG_INVALID', 400, 'The config is invalid; every problem is listed with its JSON path and a fix.'),
  GW_ERR_SETTINGS_INVALID: define('GW_ERR_SETTINGS_INVALID', 500, 'A setting is invalid; see the listed problems.'),
  // Config store and admin API.
  GW_ERR_STORE_UNAVAILABLE: define('GW_ERR_STORE_UNAVAILABLE', 503, 'The config store (PostgreSQL) is unavailable; nothing was changed. Retry when it is back.'),
  GW_ERR_VERSION_CONFLICT: define('GW_ERR_VERSION_CONFLICT', 412, 'The config changed since you read it (If-Match does not match the current version); read it again and retry.'),
  GW_ERR_CONFIG_DROP: define('GW_ERR_CONFIG_DROP', 409, 'This change removes most (or all) routes; if that is intended, retry with ?allowDrop=true.'),
  GW_ERR_RESOURCE_NOT_FOUND: define('GW_ERR_RESOURCE_NOT_FOUND', 404, 'No such resource.'),
  GW_ERR_RESOURCE_EXISTS: define('GW_ERR_RESOURCE_EXISTS', 409, 'A resource with this id already exists; use PUT to replace it.'),
  GW_ERR_RESOURCE_IN_USE: define('GW_ERR_RESOURCE_IN_USE', 409, 'The resource is still referenced; remove or change the references first.'),
  GW_ERR_ADMIN_BODY_TOO_LARGE: define('GW_ERR_ADMIN_BODY_TOO_LARGE', 413, 'The request body is larger than the admin API accepts; raise adminBodyLimitBytes (GATEHOUSE_ADMIN_BODY_LIMIT_BYTES) or send a smaller document.'),
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: define('GW_ERR_UNSUPPORTED_MEDIA_TYPE', 415, 'Send the body as application/json or application/yaml.'),
  GW_ERR_FILE_MANAGED: define('GW_ERR_FILE_MANAGED', 409, 'This gateway takes its config from a file (GATEHOUSE_CONFIG), so the admin API is read-only here (reads, validate and dry runs still work): edit the file instead (it is imported on change), or run without GATEHOUSE_CONFIG to manage the config through the admin API.'),
  GW_ERR_NO_CONFIG: define('GW_ERR_NO_CONFIG', 500, 'No config version could be loaded from the store, the last-known-good file or the S3 backup.'),
  // Fleet view.
  GW_ERR_FLEET_NOT_CONFIGURED: define('GW_ERR_FLEET_NOT_CONFIGURED', 409, 'The fleet view reads data-plane heartbeats from S3, and this control plane has no heartbeat bucket; set GATEHOUSE_HEARTBEAT_BUCKET (or GATEHOUSE_S3_BUCKET) on the control plane and the data planes.'),
  GW_ERR_FLEET_UNAVAILABLE: define('GW_ERR_FLEET_UNAVAILABLE', 503, 'The data-plane heartbeats could not be read from S3; retry, and check the control plane log and its access to the heartbeat bucket.'),
  // Secrets.
  GW_ERR_SECRETS_PLAINTEXT_FORBIDDEN: define('GW_ERR_SECRETS_PLAINTEXT_FORBIDDEN', 403, 'Secrets in plaintext are shown to admin tokens only; read without ?secrets=plaintext to see "(secret)" placeholders.'),
  GW_ERR_SECRETS_KEY_MISSING: define('GW_ERR_SECRETS_KEY_MISSING', 409, 'This control plane has no secrets key; set GATEHOUSE_SECRETS_KEYS (docs/RUNBOOK.md, "Secrets keys") and restart it.'),
  GW_ERR_SECRET_UNREADABLE: define('GW_ERR_SECRET_UNREADABLE', 500, "A stored secret cannot be decrypted with this control plane's keys; add its key id to GATEHOUSE_SECRETS_KEYS (docs/RUNBOOK.md, \"Secrets keys\")."),
  // Config store faults.
  GW_ERR_STORE_TLS: define(
    'GW_ERR_STORE_TLS',
    503,
    'The config store\'s TLS certificate was refused: it is not signed by the CA the database CA setting names, or not issued for the host the database URL names. Set the CA setting to the server\'s CA ("rds" for Amazon RDS) and name the server by the host its certificate is for (the RDS endpoint, not an address or an alias).',
  ),
  GW_ERR_STORE_TIMEOUT: define('GW_ERR_STORE_TIMEOUT', 503, 'The config store did not answer in time after this write was sent, so it may have committed. Ask GET /admin/v1/writes/<writeId> (writeId is in this answer) before writing again, or retry with the same Idempotency-Key.'),
  GW_ERR_STORE_CORRUPT: define('GW_ERR_STORE_CORRUPT', 503, 'The current config version does not match its checksum (its row was changed in the database); writes are blocked so that nothing is built on it. Roll back to the newest intact version.'),
  GW_ERR_WRITE_NOT_FOUND: define('GW_ERR_WRITE_NOT_FOUND', 404, 'No write with this id committed (no write still in progress can commit it later); it is safe to send it again.'),
} as const;

export type ErrorCode = keyof typeof Errors;

/** One problem in a config document or settings: where, what, and how to fix it. */
export interface Problem {
  /** JSON pointer into the document, e.g. `/routes/3/upstream`. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/**
 * An error carrying a definition and, for validation failures, the list of problems. `detail` is for
 * whoever made the request; `cause` (a driver's error, say) only for the log: it is part of `message`
 * but never of `publicMessage`, which is all a client is sent.
 */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly problems: readonly Problem[];
  readonly publicMessage: string;

  constructor(code: ErrorCode, detail?: string, problems: readonly Problem[] = [], cause?: unknown) {
    const def = Errors[code];
    const publicMessage = detail ? `${def.message} ${detail}` : def.message;
    super(cause === undefined ? publicMessage : `${publicMessage} (${(cause as Error)?.message ?? String(cause)})`, cause === undefined ? undefined : { cause });
    this.publicMessage = publicMessage;
    this.name = 'GatehouseError';
    this.code = code;
    this.status = def.status;
    this.problems = problems;
  }
}

/** The JSON body a client receives: code and public message only. */
export function errorBody(code: ErrorCode, requestId?: string): { error: { code: string; message: string; requestId?: string } } {
  const def = Errors[code];
  return { error: { code: def.code, message: def.message, ...(requestId ? { requestId } : {}) } };
}

/** Human-readable list of problems, one per line, for logs and start-up failures. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `  ${p.path || '/'}: ${p.message} Fix: ${p.fix}`).join('\n');
}
