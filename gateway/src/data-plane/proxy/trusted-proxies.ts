/**
 * Which peers may tell the gateway about the original request (`X-Forwarded-Proto`, `X-Forwarded-Host`):
 * the load balancers in front of it. From any other peer those headers are client input, so the
 * gateway replaces them with what it saw itself.
 */
import ipaddr from 'ipaddr.js';
import { GatehouseError, type Problem } from '../../errors';

/** True when the peer at `address` is a trusted proxy. */
export type TrustedProxies = (address: string) => boolean;

export const TRUST_NO_PROXY: TrustedProxies = () => false;

/** Peers remembered per process; behind a load balancer there are only a handful. */
const MAX_CACHED_PEERS = 1024;

/** Parses a comma-separated list of CIDRs or addresses; every bad entry is reported with the fix. */
export function parseTrustedProxies(list: string): TrustedProxies {
  const entries = list.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return TRUST_NO_PROXY;
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  const problems: Problem[] = [];
  for (const entry of entries) {
    try {
      ranges.push(entry.includes('/') ? ipaddr.parseCIDR(entry) : fullRange(ipaddr.parse(entry)));
    } catch {
      problems.push({
        path: '/settings/trustedProxies',
        message: `"${entry}" is not an IP address or CIDR range (setting trustedProxies, env GATEHOUSE_TRUSTED_PROXIES).`,
        fix: 'give comma-separated addresses or CIDR ranges, e.g. "10.0.0.0/16, fd00::/8".',
      });
    }
  }
  if (problems.length) throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, problems);
  const cache = new Map<string, boolean>();
  return (address) => {
    let trusted = cache.get(address);
    if (trusted === undefined) {
      trusted = matches(address, ranges);
      if (cache.size >= MAX_CACHED_PEERS) cache.clear();
      cache.set(address, trusted);
    }
    return trusted;
  };
}

function fullRange(address: ipaddr.IPv4 | ipaddr.IPv6): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

function matches(address: string, ranges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][]): boolean {
  if (!ipaddr.isValid(address)) return false;
  // `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) compares as 10.0.0.1.
  const peer = ipaddr.process(address);
  return ranges.some(([range, bits]) => range.kind() === peer.kind() && peer.match(range, bits));
}
