/**
 * The bounded label values of the request metrics: status codes the gateway or common upstreams
 * answer get their own `code` value, everything else is `other`, so an upstream inventing codes
 * cannot grow the series. The cardinality of every request series is documented in docs/METRICS.md.
 */

/** Codes with a label value of their own. */
export const KNOWN_STATUS_CODES: readonly number[] = [
  101, 200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406, 408, 409, 410, 412, 413, 415, 422, 429, 431, 499, 500,
  501, 502, 503, 504,
];
export const OTHER_CODE = 'other';
const KNOWN = new Set(KNOWN_STATUS_CODES);

/** `code` label of a status. */
export function codeLabel(status: number): string {
  return KNOWN.has(status) ? String(status) : OTHER_CODE;
}

const CLASSES = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** `status_class` label of a status (anything outside 100-599 counts as 5xx: the gateway failed to say). */
export function statusClassLabel(status: number): string {
  const cls = (status / 100) | 0;
  return CLASSES[cls >= 1 && cls <= 5 ? cls : 5]!;
}
