import {
  ConsistentHash,
  LeastConnections,
  WeightedRoundRobin,
  cookieValue,
  hashKeyReader,
} from '../../../../gateway/src/data-plane/upstream';
import type { PickInput } from '../../../../gateway/src/data-plane/types';

const all = (): boolean => true;
const input = (over: Partial<PickInput> = {}): PickInput => ({ clientIp: '10.0.0.1', path: '/', headers: {}, ...over });

function picks(n: number, pick: () => number): number[] {
  return Array.from({ length: n }, pick);
}

function counts(values: readonly number[], size: number): number[] {
  const c = new Array<number>(size).fill(0);
  for (const v of values) c[v]++;
  return c;
}

describe('smooth weighted round robin', () => {
  test('weights 5,1,1 interleave like nginx: a a b a c a a', () => {
    const wrr = new WeightedRoundRobin([5, 1, 1]);
    expect(picks(7, () => wrr.pick(all))).toEqual([0, 0, 1, 0, 2, 0, 0]);
    expect(picks(7, () => wrr.pick(all))).toEqual([0, 0, 1, 0, 2, 0, 0]);
  });

  test('every cycle of sum(weights) picks serves each target exactly its weight', () => {
    const weights = [3, 7, 1, 4, 10];
    const wrr = new WeightedRoundRobin(weights);
    const total = weights.reduce((a, b) => a + b, 0);
    for (let cycle = 0; cycle < 20; cycle++) expect(counts(picks(total, () => wrr.pick(all)), weights.length)).toEqual(weights);
  });

  test('equal weights give plain round robin', () => {
    const wrr = new WeightedRoundRobin([1, 1, 1]);
    expect(picks(6, () => wrr.pick(all))).toEqual([0, 1, 2, 0, 1, 2]);
  });

  test('skips targets that are not eligible and shares their turns among the others by weight', () => {
    const wrr = new WeightedRoundRobin([2, 1, 1]);
    const notFirst = (i: number) => i !== 0;
    expect(counts(picks(10, () => wrr.pick(notFirst)), 3)).toEqual([0, 5, 5]);
    expect(wrr.pick(() => false)).toBe(-1);
  });
});

describe('least connections', () => {
  test('picks the target with the fewest requests in flight per weight', () => {
    const load = [4, 1, 3];
    const lc = new LeastConnections([1, 1, 1], (i) => load[i]);
    expect(lc.pick(all)).toBe(1);
    const weighted = new LeastConnections([4, 1, 2], (i) => load[i]);
    // 4/4 = 1, 1/1 = 1, 3/2 = 1.5: a tie between 0 and 1, the scan starts at 0.
    expect(weighted.pick(all)).toBe(0);
    expect(weighted.pick(all)).toBe(1);
  });

  test('breaks ties round robin so an idle upstream still spreads requests', () => {
    const lc = new LeastConnections([1, 1, 1], () => 0);
    expect(picks(6, () => lc.pick(all))).toEqual([0, 1, 2, 0, 1, 2]);
  });

  test('follows live load as requests start and end', () => {
    const load = [0, 0];
    const lc = new LeastConnections([1, 1], (i) => load[i]);
    const a = lc.pick(all);
    load[a]++;
    const b = lc.pick(all);
    load[b]++;
    expect(new Set([a, b])).toEqual(new Set([0, 1]));
    load[a]--;
    expect(lc.pick(all)).toBe(a);
  });

  test('skips targets that are not eligible', () => {
    const lc = new LeastConnections([1, 1], (i) => [0, 5][i]);
    expect(lc.pick((i) => i === 1)).toBe(1);
    expect(lc.pick(() => false)).toBe(-1);
  });
});

describe('consistent hash', () => {
  const keysOf = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i}.1:8080`);
  const byHeader = hashKeyReader('header', 'X-User');
  const userInput = (u: string) => input({ headers: { 'x-user': u } });

  test('the same key always reaches the same target', () => {
    const ch = new ConsistentHash(keysOf(5), [1, 1, 1, 1, 1], byHeader);
    for (let u = 0; u < 200; u++) {
      const first = ch.pick(all, userInput(`user-${u}`));
      for (let again = 0; again < 3; again++) expect(ch.pick(all, userInput(`user-${u}`))).toBe(first);
    }
  });

  test('keys spread over all targets roughly evenly', () => {
    const ch = new ConsistentHash(keysOf(4), [1, 1, 1, 1], byHeader);
    const c = counts(Array.from({ length: 8_000 }, (_, u) => ch.pick(all, userInput(`user-${u}`))), 4);
    for (const n of c) {
      expect(n).toBeGreaterThan(8_000 / 4 / 2);
      expect(n).toBeLessThan((8_000 / 4) * 1.5);
    }
  });

  test('removing one of n targets moves only the keys it owned, about 1/n of them', () => {
    const n = 10;
    const keys = keysOf(n);
    const before = new ConsistentHash(keys, new Array(n).fill(1), byHeader);
    const removed = 3;
    const remaining = keys.filter((_, i) => i !== removed);
    const after = new ConsistentHash(remaining, new Array(n - 1).fill(1), byHeader);
    const users = 10_000;
    let moved = 0;
    for (let u = 0; u < users; u++) {
      const was = keys[before.pick(all, userInput(`user-${u}`))];
      const now = remaining[after.pick(all, userInput(`user-${u}`))];
      if (was !== now) {
        moved++;
        expect(was).toBe(keys[removed]);
      }
    }
    expect(moved / users).toBeGreaterThan(0.5 / n);
    expect(moved / users).toBeLessThan(1.5 / n);
  });

  test('the ring does not depend on the order targets are listed in', () => {
    const keys = keysOf(6);
    const a = new ConsistentHash(keys, new Array(6).fill(1), byHeader);
    const reversed = [...keys].reverse();
    const b = new ConsistentHash(reversed, new Array(6).fill(1), byHeader);
    for (let u = 0; u < 500; u++) expect(reversed[b.pick(all, userInput(`u${u}`))]).toBe(keys[a.pick(all, userInput(`u${u}`))]);
  });

  test('an ineligible target passes its keys to the next target on the ring, and gets them back', () => {
    const ch = new ConsistentHash(keysOf(3), [1, 1, 1], byHeader);
    const home = ch.pick(all, userInput('alice'));
    const elsewhere = ch.pick((i) => i !== home, userInput('alice'));
    expect(elsewhere).not.toBe(home);
    expect(elsewhere).toBeGreaterThanOrEqual(0);
    expect(ch.pick((i) => i !== home, userInput('alice'))).toBe(elsewhere);
    expect(ch.pick(all, userInput('alice'))).toBe(home);
    expect(ch.pick(() => false, userInput('alice'))).toBe(-1);
  });

  test('weights scale each target share; weight 0 owns nothing', () => {
    const ch = new ConsistentHash(keysOf(3), [3, 1, 0], byHeader);
    const c = counts(Array.from({ length: 8_000 }, (_, u) => ch.pick(all, userInput(`user-${u}`))), 3);
    expect(c[2]).toBe(0);
    expect(c[0] / c[1]).toBeGreaterThan(2);
    expect(c[0] / c[1]).toBeLessThan(4.5);
  });

  test('a request without the key falls back to weighted round robin', () => {
    const ch = new ConsistentHash(keysOf(3), [1, 1, 1], byHeader);
    expect(picks(6, () => ch.pick(all, input()))).toEqual([0, 1, 2, 0, 1, 2]);
  });

  test('reads the key from a header, a cookie, the client IP or the path', () => {
    expect(hashKeyReader('header', 'X-User')(input({ headers: { 'x-user': 'u1' } }))).toBe('u1');
    expect(hashKeyReader('header', 'X-User')(input({ headers: { 'x-user': ['a', 'b'] } }))).toBe('a, b');
    expect(hashKeyReader('header', 'X-User')(input({ headers: { 'x-user': '' } }))).toBeUndefined();
    expect(hashKeyReader('header', 'X-User')(input())).toBeUndefined();
    expect(hashKeyReader('cookie', 'session')(input({ headers: { cookie: 'a=1; session=abc; z=2' } }))).toBe('abc');
    expect(hashKeyReader('cookie', 'session')(input({ headers: { cookie: 'a=1; sessionx=abc' } }))).toBeUndefined();
    expect(hashKeyReader('client-ip', undefined)(input({ clientIp: '192.0.2.7' }))).toBe('192.0.2.7');
    expect(hashKeyReader('path', undefined)(input({ path: '/a/b' }))).toBe('/a/b');
    expect(cookieValue(['a=1', 'b= 2 '], 'b')).toBe('2');
  });
});
