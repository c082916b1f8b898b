/**
 * Request trailers (HTTP/2 trailers, HTTP/1.1 chunked trailers) as the gateway relays them to HTTP/2
 * upstreams. A trailer is a header that arrives late, so the request header pass's rules hold for it
 * too (a rule kept on one path and not the other is a hole): hop-by-hop fields and those the
 * request's `Connection` names, the identity headers in any spelling, names with `_` by policy, and
 * the field count (past `maxRequestHeaders` no trailer is relayed: the request is under way and can
 * no longer be answered 431). On top of that, never as trailers: pseudo-headers, the fields RFC 9110
 * section 6.5.1 says cannot be processed after the content (framing, routing, authentication,
 * request modifiers, content format), the ones the gateway sets itself and `grpc-timeout` (whose
 * cap is applied to the request's headers): an upstream that merges trailers into the header section
 * must not find a second Host, a credential or an X-Forwarded-For there.
 *
 * HTTP/1.1 upstreams get no request trailers: undici, which speaks to them, cannot send any, and
 * RFC 9110 section 6.5.1 lets an intermediary drop them; HTTP/1.1 servers rarely read them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { refusedRequestField, type RequestHeadPolicy } from './headers';
import { HOP_BY_HOP_HEADERS, namedByConnection } from './hop-by-hop';

/** Fields that never travel as request trailers, whatever the policy. */
const NOT_TRAILERS: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP_HEADERS,
  // framing and content format
  'content-length',
  'content-type',
  'content-encoding',
  'content-range',
  // routing
  'host',
  // authentication
  'authorization',
  'cookie',
  // request modifiers and controls
  'expect',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'max-forwards',
  'cache-control',
  'grpc-timeout',
  // what the gateway sets
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
  'via',
  'x-request-id',
]);

/**
 * The request's trailers for an HTTP/2 upstream, or undefined when there are none to relay.
 * `raw` is the flat `rawTrailers` list; `connection` the request's own `Connection` header.
 */
export function forwardRequestTrailers(raw: readonly string[] | undefined, connection: IncomingHttpHeaders['connection'], policy: RequestHeadPolicy): Record<string, string> | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > policy.maxHeaders * 2) return undefined;
  const named = namedByConnection(connection);
  let out: Record<string, string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.charCodeAt(0) === 58 /* ':' */ || NOT_TRAILERS.has(name) || named?.has(name) || refusedRequestField(name, policy)) continue;
    const value = raw[i + 1];
    out ??= {};
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}
