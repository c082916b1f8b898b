/**
 * IP address sets (CIDR lists) and the client address a request comes from: the one CIDR matcher, used
 * by the process-wide `trustedProxies` setting and by the plugins' lists. `X-Forwarded-For` is believed
 * only hop by hop from the socket peer through trusted proxies.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { GatehouseError, type Problem } from './errors';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** Parses an address, folding IPv4-mapped IPv6 (`::ffff:1.2.3.4`) into IPv4; undefined when invalid. */
export function parseAddress(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIP(bare) === 0) return undefined;
  return ipaddr.process(bare);
}

/** A set of CIDR ranges (a single address counts as /32 or /128). */
export class CidrSet {
  private readonly v4: Range[] = [];
  private readonly v6: Range[] = [];

  constructor(ranges: readonly string[]) {
    for (const text of ranges) {
      const range = parseRange(text);
      if (!range) throw new Error(`invalid IP address or CIDR range "${text}"`);
      (range[0].kind() === 'ipv4' ? this.v4 : this.v6).push(range);
    }
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** True when the address lies in one of the ranges; false for anything unparsable. */
  contains(address: string | Address | undefined): boolean {
    const addr = typeof address === 'string' ? parseAddress(address) : address;
    if (!addr) return false;
    const ranges = addr.kind() === 'ipv4' ? this.v4 : this.v6;
    for (const r of ranges) if (addr.match(r)) return true;
    return false;
  }
}

function parseRange(text: string): Range | undefined {
  const slash = text.indexOf('/');
  const addr = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return undefined;
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  if (slash < 0) return [addr, max];
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  let bits = Number(bitsText);
  // An IPv4-mapped range written in IPv6 (::ffff:10.0.0.0/104) is folded to IPv4 by parseAddress.
  if (addr.kind() === 'ipv4' && isIP(text.slice(0, slash)) === 6) bits -= 96;
  if (bits < 0 || bits > max) return undefined;
  return [addr, bits];
}

/** Problems for every entry of a CIDR list that does not parse. */
export function cidrProblems(list: readonly string[] | undefined, path: string): Problem[] {
  const problems: Problem[] = [];
  list?.forEach((text, i) => {
    if (!parseRange(text))
      problems.push({
        path: `${path}/${i}`,
        message: `"${text}" is not an IP address or CIDR range.`,
        fix: 'write an IPv4 or IPv6 address, optionally with a prefix length, e.g. "10.0.0.0/8" or "2001:db8::/32".',
      });
  });
  return problems;
}

/** Which peers are trusted proxies: a CIDR set, or the process-wide `trustedProxies` setting's test. */
export type ProxyTrust = CidrSet | ((address: string) => boolean);

const trusts = (trust: ProxyTrust, address: string): boolean => (typeof trust === 'function' ? trust(address) : trust.contains(address));

/**
 * The client address of a request. When the socket peer is a trusted proxy, `X-Forwarded-For` is
 * walked from the right, skipping trusted proxies; the first untrusted hop is the client.
 */
export function clientAddress(remote: string, forwardedFor: string | string[] | undefined, trusted: ProxyTrust | undefined): string {
  if (!trusted || (typeof trusted !== 'function' && trusted.size === 0) || forwardedFor === undefined || !trusts(trusted, remote)) return remote;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let client = remote;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.trim();
    // A trusted proxy passed on something that is not an address: believe no further.
    if (!parseAddress(hop)) return client;
    client = hop;
    if (!trusts(trusted, hop)) return hop;
  }
  return client;
}

/** True when the peer at `address` is a trusted proxy (the process-wide `trustedProxies` setting). */
export type TrustedProxies = (address: string) => boolean;

export const TRUST_NO_PROXY: TrustedProxies = () => false;

/** Peers remembered per process; behind a load balancer there are only a handful. */
const MAX_CACHED_PEERS = 1024;

/** Parses a comma-separated list of CIDRs or addresses; every bad entry is reported with the fix. */
export function parseTrustedProxies(list: string): TrustedProxies {
  const entries = list.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return TRUST_NO_PROXY;
  const problems: Problem[] = entries
    .filter((entry) => !parseRange(entry))
    .map((entry) => ({
      path: '/settings/trustedProxies',
      message: `"${entry}" is not an IP address or CIDR range (setting trustedProxies, env GATEHOUSE_TRUSTED_PROXIES).`,
      fix: 'give comma-separated addresses or CIDR ranges, e.g. "10.0.0.0/16, fd00::/8".',
    }));
  if (problems.length) throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, problems);
  const ranges = new CidrSet(entries);
  const cache = new Map<string, boolean>();
  return (address) => {
    let trusted = cache.get(address);
    if (trusted === undefined) {
      trusted = ranges.contains(address);
      if (cache.size >= MAX_CACHED_PEERS) cache.clear();
      cache.set(address, trusted);
    }
    return trusted;
  };
}
