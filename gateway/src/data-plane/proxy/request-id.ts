/** Request ids: a client's `X-Request-Id` is passed through when it is sane, otherwise one is generated. */
import { randomUUID } from 'node:crypto';

/** Longest client-supplied request id that is passed through, in characters. */
export const MAX_REQUEST_ID_LENGTH = 128;

/** Ids that are safe in logs, headers and JSON: no spaces, quotes or control characters. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]+$/;

/** The request id to use: the client's when sane (length and charset), else a new UUID. */
export function requestIdFor(supplied: string | string[] | undefined): string {
  if (typeof supplied === 'string' && supplied.length > 0 && supplied.length <= MAX_REQUEST_ID_LENGTH && SANE_REQUEST_ID.test(supplied))
    return supplied;
  return randomUUID();
}
