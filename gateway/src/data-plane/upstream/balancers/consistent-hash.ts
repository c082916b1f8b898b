/**
 * Consistent hashing on a ring with virtual nodes. Each target owns points on the ring derived from
 * its `host:port` (not its position in the list), so adding or removing one target moves only the
 * keys that target owned, about 1/n of them. A request's key (header, cookie, client IP or path) is
 * hashed onto the ring and walks clockwise to the first eligible target. Requests without the key
 * fall back to weighted round robin.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PickInput } from '../../types';
import type { Balancer } from './balancer';
import { hash32 } from './hash';
import { WeightedRoundRobin } from './round-robin';

/** Ring points for a target of the highest weight; lighter targets get proportionally fewer. */
export const VIRTUAL_NODES_PER_TARGET = 160;

export type HashOn = 'header' | 'cookie' | 'client-ip' | 'path';

/** Reads the value of one cookie from a Cookie header, or undefined. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join('; ') : header;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The function that extracts the hash key of a request, or undefined when the request has none. */
export function hashKeyReader(hashOn: HashOn, hashKey: string | undefined): (input: PickInput) => string | undefined {
  switch (hashOn) {
    case 'header': {
      const name = (hashKey ?? '').toLowerCase();
      return (input) => headerValue(input.headers, name) || undefined;
    }
    case 'cookie': {
      const name = hashKey ?? '';
      return (input) => cookieValue(input.headers.cookie, name) || undefined;
    }
    case 'client-ip':
      return (input) => input.clientIp || undefined;
    case 'path':
      return (input) => input.path;
  }
}

export class ConsistentHash implements Balancer {
  private readonly points: Uint32Array;
  private readonly owners: Int32Array;
  private readonly fallback: WeightedRoundRobin;

  constructor(
    targetKeys: readonly string[],
    weights: readonly number[],
    private readonly readKey: (input: PickInput) => string | undefined,
  ) {
    this.fallback = new WeightedRoundRobin(weights);
    const maxWeight = Math.max(0, ...weights);
    const ring: Array<[number, number]> = [];
    targetKeys.forEach((key, index) => {
      if (weights[index] <= 0) return;
      const count = Math.max(1, Math.round((VIRTUAL_NODES_PER_TARGET * weights[index]) / maxWeight));
      for (let v = 0; v < count; v++) ring.push([hash32(`${key}#${v}`), index]);
    });
    // Ties on a point are broken by target key order so the ring does not depend on list order.
    ring.sort((a, b) => a[0] - b[0] || (targetKeys[a[1]] < targetKeys[b[1]] ? -1 : 1));
    this.points = Uint32Array.from(ring, (p) => p[0]);
    this.owners = Int32Array.from(ring, (p) => p[1]);
  }

  pick(eligible: (index: number) => boolean, input: PickInput): number {
    const key = this.readKey(input);
    if (key === undefined || this.points.length === 0) return this.fallback.pick(eligible);
    const start = this.firstPointAtOrAfter(hash32(key));
    const n = this.points.length;
    for (let k = 0; k < n; k++) {
      const owner = this.owners[(start + k) % n];
      if (eligible(owner)) return owner;
    }
    return -1;
  }

  private firstPointAtOrAfter(h: number): number {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.points.length ? 0 : lo;
  }
}
