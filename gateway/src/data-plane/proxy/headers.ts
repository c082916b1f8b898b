/**
 * Header rewriting both ways: hop-by-hop headers (and those `Connection` names) removed, identity
 * headers stripped from requests, `X-Forwarded-*`, `Via` and `X-Request-Id` set. Both functions
 * make one pass over the raw header list; they run on every request.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { IDENTITY_HEADERS } from '../../plugins/contract';
import { HOP_BY_HOP_HEADERS, namedByConnection } from './hop-by-hop';

/** What the gateway adds to `Via` (RFC 9110 section 7.6.3). */
export const VIA = '1.1 gatehouse';

const IDENTITY: ReadonlySet<string> = new Set(IDENTITY_HEADERS);

/** What a request head may carry; from the settings `maxRequestHeaders` and `underscoresInHeaders`. */
export interface RequestHeadPolicy {
  readonly maxHeaders: number;
  /** Forward header names containing `_`; otherwise they are dropped (nginx's `underscores_in_headers off`). */
  readonly underscores: boolean;
}

/** `headProblem` when the head has more fields than the policy allows (answered 431, not 400). */
export const TOO_MANY_HEADERS = 'too many header fields';

/** Facts about the incoming request gathered while its headers are copied. */
export interface RequestHeaderFacts {
  /** The client's Host header. */
  clientHost: string | undefined;
  /** A body follows (Content-Length above 0, or Transfer-Encoding). */
  hasBody: boolean;
  /** The declared Content-Length, or -1. */
  contentLength: number;
  /** Why the head is refused (duplicate Host, userinfo in Host, too many fields); undefined when it is fine. */
  headProblem: string | undefined;
}

/**
 * True for a name that, read the way CGI-style upstreams read headers (`_` as `-`, any case), is
 * one of the identity headers the gateway sets.
 */
function isIdentitySpelling(name: string): boolean {
  return IDENTITY.has(name.replace(/_/g, '-'));
}

/** A request field never forwarded: an identity header, or a name with `_` the policy drops (and never one spelling an identity header). */
export function refusedRequestField(name: string, policy: RequestHeadPolicy): boolean {
  return IDENTITY.has(name) || (name.includes('_') && (!policy.underscores || isIdentitySpelling(name)));
}

/**
 * Copies request headers for the upstream as a flat `[name, value, ...]` list whose first pair is
 * `host` (value filled in per target). Adds `X-Forwarded-For` (appended), `X-Forwarded-Proto` and
 * `X-Forwarded-Host` (kept only when `fromTrustedProxy`: a load balancer in front set them; from any
 * other peer they are replaced), `Via` and `X-Request-Id`.
 */
export function forwardRequestHeaders(
  raw: readonly string[],
  remoteAddress: string,
  proto: string,
  requestId: string,
  facts: RequestHeaderFacts,
  fromTrustedProxy: boolean,
  policy: RequestHeadPolicy,
): string[] {
  const out: string[] = ['host', ''];
  if (raw.length > policy.maxHeaders * 2) facts.headProblem = TOO_MANY_HEADERS;
  let connection: string | undefined;
  let forwardedFor: string | undefined;
  let via: string | undefined;
  let hasProto = false;
  let hasHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    switch (name) {
      case 'host':
        // Two Hosts let routing and forwarding disagree; userinfo has no place in a Host (RFC 9110 section 4.2.4).
        if (facts.clientHost !== undefined) facts.headProblem = 'duplicate Host header';
        else if (value.includes('@')) facts.headProblem = 'userinfo in the Host header';
        facts.clientHost = value;
        continue;
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      case 'transfer-encoding':
        facts.hasBody = true;
        continue;
      case 'content-length':
        facts.contentLength = Number(value);
        if (value !== '0') facts.hasBody = true;
        break;
      case 'keep-alive':
      case 'proxy-connection':
      case 'te':
      case 'trailer':
      case 'upgrade':
      case 'proxy-authenticate':
      case 'proxy-authorization':
      // The gateway answers `100 Continue` itself before it streams the body.
      case 'expect':
      case 'x-request-id':
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'via':
        via = via === undefined ? value : `${via}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        if (!fromTrustedProxy) continue;
        hasProto = true;
        break;
      case 'x-forwarded-host':
        if (!fromTrustedProxy) continue;
        hasHost = true;
        break;
      default:
        if (refusedRequestField(name, policy)) continue;
    }
    out.push(name, value);
  }
  out.push('x-forwarded-for', forwardedFor === undefined ? remoteAddress : `${forwardedFor}, ${remoteAddress}`);
  if (!hasProto) out.push('x-forwarded-proto', proto);
  if (!hasHost && facts.clientHost !== undefined) out.push('x-forwarded-host', facts.clientHost);
  out.push('via', via === undefined ? VIA : `${via}, ${VIA}`, 'x-request-id', requestId);
  const named = namedByConnection(connection);
  return named ? dropNamed(out, named) : out;
}

function dropNamed(list: string[], named: ReadonlySet<string>): string[] {
  const kept: string[] = [];
  for (let i = 0; i < list.length; i += 2) {
    // `host` and the headers the gateway sets itself are never dropped because a client named them.
    if (i === 0 || !named.has(list[i]) || list[i].startsWith('x-forwarded-') || list[i] === 'via' || list[i] === 'x-request-id')
      kept.push(list[i], list[i + 1]);
  }
  return kept;
}

/** The flat list as a headers object (what plugins see as `ctx.headers`); repeated names become arrays. */
export function headersObject(list: readonly string[], from = 2): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = from; i < list.length; i += 2) {
    const prev = out[list[i]];
    if (prev === undefined) out[list[i]] = list[i + 1];
    else if (Array.isArray(prev)) prev.push(list[i + 1]);
    else out[list[i]] = [prev, list[i + 1]];
  }
  return out;
}

/**
 * Copies upstream response headers for the client (hop-by-hop removed), adding `Via` and
 * `X-Request-Id`, and `Connection: close` while the node drains.
 */
export function forwardResponseHeaders(raw: readonly (Buffer | string)[], requestId: string, closing: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let connection: string | undefined;
  let via: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    const value = raw[i + 1].toString('latin1');
    switch (name) {
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      case 'keep-alive':
      case 'proxy-connection':
      case 'te':
      case 'trailer':
      case 'transfer-encoding':
      case 'upgrade':
      case 'proxy-authenticate':
      case 'proxy-authorization':
        continue;
      case 'via':
        via = via === undefined ? value : `${via}, ${value}`;
        continue;
    }
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  const named = namedByConnection(connection);
  if (named) for (const name of named) delete out[name];
  out.via = via === undefined ? VIA : `${via}, ${VIA}`;
  out['x-request-id'] = requestId;
  if (closing) out.connection = 'close';
  return out;
}

/** Upstream trailers (flat raw list) for `addTrailers`; hop-by-hop names have no place in trailers. */
export function trailersObject(raw: readonly (Buffer | string)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString().toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(name) || name === 'content-length') continue;
    const value = raw[i + 1].toString();
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}
