/**
 * RFC 9110 section 7.6.1: headers that describe one connection, not the message. A proxy removes
 * them, and every header the `Connection` header names, before forwarding either way.
 */

/** Lower-case names of the hop-by-hop headers, including the legacy `Proxy-Connection`. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Tokens of `Connection` that only steer the connection and never name a header worth a second pass. */
const PLAIN_CONNECTION_TOKENS: ReadonlySet<string> = new Set(['keep-alive', 'close', 'upgrade']);

/**
 * The header names a `Connection` value lists beyond the usual `keep-alive`/`close`/`upgrade`
 * (lower case), or undefined when there are none: the common case costs no allocation.
 */
export function namedByConnection(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined || value === 'keep-alive' || value === 'close') return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  let named: Set<string> | undefined;
  for (const raw of joined.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token.length === 0 || PLAIN_CONNECTION_TOKENS.has(token)) continue;
    (named ??= new Set()).add(token);
  }
  return named;
}
