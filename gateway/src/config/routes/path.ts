/**
 * Request path normalisation. A path is normalised once, and the result is used both to match a
 * route and to build the forwarded path, so what the router saw is what the upstream gets.
 *
 * Rules (RFC 3986 sections 2, 6.2.2 and 5.2.4, made strict where lenient parsers disagree):
 * - percent-escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded, so `%2e%2e` is `..`;
 *   every other escape is kept with uppercase hex (`%c3%a9` → `%C3%A9`);
 * - `%2F` and `%5C` stay encoded: they are data inside one segment, not separators (APIs put
 *   `group%2Fproject` in one segment). A segment that would become a dot segment once an upstream
 *   decodes it (`..%2F`, `%252e%252e`, `..%5C`) or that a servlet container reads as one (`..;`) is
 *   rejected instead, so no upstream can be tricked into climbing out of the route's prefix;
 * - dot segments are removed; a path that climbs above the root is rejected, not clamped;
 * - empty segments (`//`) are collapsed; a trailing slash is kept;
 * - rejected: invalid escapes, control characters (raw or encoded), raw backslashes, raw non-ASCII,
 *   encoded bytes that are not valid UTF-8 (overlong forms such as `%C0%AE`), paths longer than
 *   `MAX_PATH_LENGTH`;
 * - characters that are legal to receive but not valid in a URI path (`"<>^`{|}` and the like) are
 *   percent-encoded.
 */

/** Longest accepted request path (without the query), in characters. */
export const MAX_PATH_LENGTH = 8_192;

export type NormalisedPath = { ok: true; path: string } | { ok: false; reason: string };

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const BACKSLASH = 0x5c;

/** 1: kept as is (unreserved, sub-delims, ":" "@"); 0: must be percent-encoded. Index by char code < 128. */
const PCHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@") PCHAR[c.charCodeAt(0)] = 1;

const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[c.charCodeAt(0)] = 1;

const HEX = '0123456789ABCDEF';
const utf8 = new TextDecoder('utf-8', { fatal: true });

const fail = (reason: string): NormalisedPath => ({ ok: false, reason });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function encodeByte(b: number): string {
  return `%${HEX[b >> 4]}${HEX[b & 15]}`;
}

/** True when no work is needed: only plain path characters, no `//`, no segment starting with a dot. */
function isAlreadyNormal(raw: string): boolean {
  let prev = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === SLASH) {
      if (prev === SLASH) return false;
    } else if (c >= 128 || PCHAR[c] === 0 || (c === DOT && prev === SLASH)) {
      return false;
    }
    prev = c;
  }
  return true;
}

/**
 * Whether a segment (already in normal form) becomes a dot segment when a less careful server
 * decodes it once or twice, splits it on `/` or `\`, or drops `;` path parameters.
 */
function hidesDotSegment(segment: string): boolean {
  if (!segment.includes('.') && !segment.includes('%')) return false;
  let view = segment;
  for (let round = 0; round < 3 && view.includes('%'); round++) {
    try {
      view = decodeURIComponent(view);
    } catch {
      break;
    }
  }
  for (const piece of view.split(/[/\\]/)) {
    const beforeParams = piece.split(';', 1)[0];
    if (beforeParams === '.' || beforeParams === '..') return true;
  }
  return false;
}

/**
 * Decodes and checks one raw segment. Returns the normal-form segment, or a reason to reject.
 */
function normaliseSegment(raw: string): { ok: true; segment: string } | { ok: false; reason: string } {
  let out = '';
  let highBytes: number[] | undefined;
  const flushHighBytes = (): string | undefined => {
    if (!highBytes) return undefined;
    const bytes = highBytes;
    highBytes = undefined;
    try {
      utf8.decode(Uint8Array.from(bytes));
      return undefined;
    } catch {
      return 'percent-encoded bytes that are not valid UTF-8 (for example an overlong form such as %C0%AE)';
    }
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === PERCENT) {
      const complete = i + 2 < raw.length;
      const hi = complete ? hexValue(raw.charCodeAt(i + 1)) : -1;
      const lo = complete ? hexValue(raw.charCodeAt(i + 2)) : -1;
      if (hi < 0 || lo < 0) return { ok: false, reason: `invalid percent-escape "${raw.slice(i, i + 3)}"` };
      const b = (hi << 4) | lo;
      i += 2;
      if (b < 0x20 || b === 0x7f) return { ok: false, reason: `encoded control character %${HEX[hi]}${HEX[lo]}` };
      if (b >= 0x80) {
        (highBytes ??= []).push(b);
        out += encodeByte(b);
        continue;
      }
      const bad = flushHighBytes();
      if (bad) return { ok: false, reason: bad };
      out += UNRESERVED[b] === 1 ? String.fromCharCode(b) : encodeByte(b);
      continue;
    }
    const bad = flushHighBytes();
    if (bad) return { ok: false, reason: bad };
    if (c < 0x20 || c === 0x7f) return { ok: false, reason: 'control character in the path' };
    if (c === 0x20) return { ok: false, reason: 'raw space in the path (encode it as %20)' };
    if (c === BACKSLASH) return { ok: false, reason: 'raw backslash in the path (encode it as %5C)' };
    if (c >= 128) return { ok: false, reason: 'raw non-ASCII character in the path (percent-encode it as UTF-8)' };
    out += PCHAR[c] === 1 ? raw[i] : encodeByte(c);
  }
  const bad = flushHighBytes();
  if (bad) return { ok: false, reason: bad };
  return { ok: true, segment: out };
}

/** Normalises a request path (without the query string); see the module comment for the rules. */
export function normalisePath(rawPathWithoutQuery: string): NormalisedPath {
  const raw = rawPathWithoutQuery;
  if (raw.length === 0 || raw.charCodeAt(0) !== SLASH) return fail('the path must start with "/"');
  if (raw.length > MAX_PATH_LENGTH) return fail(`the path is longer than ${MAX_PATH_LENGTH} characters`);
  if (isAlreadyNormal(raw)) return { ok: true, path: raw };

  const rawSegments = raw.slice(1).split('/');
  const kept: string[] = [];
  let trailingSlash = false;
  for (let i = 0; i < rawSegments.length; i++) {
    const result = normaliseSegment(rawSegments[i]);
    if (!result.ok) return fail(result.reason);
    const segment = result.segment;
    const last = i === rawSegments.length - 1;
    if (segment === '' || segment === '.') {
      trailingSlash = last;
      continue;
    }
    if (segment === '..') {
      if (kept.length === 0) return fail('the path climbs above the root with ".."');
      kept.pop();
      trailingSlash = last;
      continue;
    }
    if (hidesDotSegment(segment))
      return fail(`segment "${segment}" hides a dot segment (encoded slash or backslash, double encoding, or ";")`);
    kept.push(segment);
    trailingSlash = false;
  }
  if (kept.length === 0) return { ok: true, path: '/' };
  return { ok: true, path: `/${kept.join('/')}${trailingSlash ? '/' : ''}` };
}
