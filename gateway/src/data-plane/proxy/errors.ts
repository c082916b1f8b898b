/** How a failed upstream attempt is classified: passive-health outcome, client answer, retry safety. */
import type { ErrorCode } from '../../core/errors';
import type { AttemptOutcome } from '../types';

export interface AttemptFailure {
  readonly outcome: AttemptOutcome;
  readonly code: ErrorCode;
  /** The request cannot have reached the upstream application, or timed out before its answer began. */
  readonly retryable: boolean;
}

const CONNECT_FAILURE: AttemptFailure = { outcome: 'connect-failure', code: 'GW_ERR_UPSTREAM_CONNECT', retryable: true };
const CONNECT_TIMEOUT: AttemptFailure = { outcome: 'timeout', code: 'GW_ERR_UPSTREAM_TIMEOUT', retryable: true };
const HEADERS_TIMEOUT: AttemptFailure = { outcome: 'timeout', code: 'GW_ERR_UPSTREAM_TIMEOUT', retryable: true };
const BODY_TIMEOUT: AttemptFailure = { outcome: 'timeout', code: 'GW_ERR_UPSTREAM_TIMEOUT', retryable: false };
const CONNECTION_LOST: AttemptFailure = { outcome: 'connect-failure', code: 'GW_ERR_UPSTREAM_RESPONSE', retryable: true };
const POOL_CLOSED: AttemptFailure = { outcome: 'success', code: 'GW_ERR_UPSTREAM_CONNECT', retryable: true };
const BAD_RESPONSE: AttemptFailure = { outcome: 'server-error', code: 'GW_ERR_UPSTREAM_RESPONSE', retryable: false };
const BAD_REQUEST: AttemptFailure = { outcome: 'success', code: 'GW_ERR_BAD_REQUEST', retryable: false };

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ETIMEDOUT', 'EPIPE']);

/** Classifies an undici error raised before or while the response arrived. */
export function classifyFailure(err: Error & { code?: string }): AttemptFailure {
  const code = err.code ?? '';
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return CONNECT_TIMEOUT;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return HEADERS_TIMEOUT;
    case 'UND_ERR_BODY_TIMEOUT':
      return BODY_TIMEOUT;
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
      return CONNECTION_LOST;
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return POOL_CLOSED;
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return BAD_REQUEST;
  }
  if (CONNECT_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT'))
    return CONNECT_FAILURE;
  return BAD_RESPONSE;
}

/** Methods RFC 9110 calls idempotent: safe to send again to another target. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
