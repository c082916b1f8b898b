/** PersistentMap: every version answers like a Map given the same operations, flat and bucketed, and updates never change an earlier version. */
import { PersistentMap } from '../../../gateway/src/core/persistent-map';

function contents<V>(m: PersistentMap<V>): [string, V][] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function sorted<V>(m: Map<string, V>): [string, V][] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

test('random sets and deletes past the flat limit and back: each version equals its Map, earlier versions unchanged', () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let map = PersistentMap.empty<number>();
  const model = new Map<string, number>();
  const history: [PersistentMap<number>, [string, number][]][] = [];
  for (let i = 0; i < 3000; i++) {
    const key = `k${Math.floor(rnd() * (i < 1500 ? 400 : 60))}`;
    if (rnd() < (i < 1500 ? 0.75 : 0.3)) {
      map = map.set(key, i);
      model.set(key, i);
    } else {
      map = map.delete(key);
      model.delete(key);
    }
    expect(map.size).toBe(model.size);
    expect(map.get(key)).toBe(model.get(key));
    if (i % 100 === 0) history.push([map, sorted(model)]);
  }
  expect(contents(map)).toEqual(sorted(model));
  for (const [old, expected] of history) expect(contents(old)).toEqual(expected);
  expect(history.some(([m]) => m.size > 64)).toBe(true);
});

test('from() keeps every entry of a large map and delete of a missing key returns the same map', () => {
  const source = new Map(Array.from({ length: 500 }, (_, i) => [`/svc${i}`, i] as [string, number]));
  const map = PersistentMap.from(new Map(source));
  expect(map.size).toBe(500);
  for (const [k, v] of source) expect(map.get(k)).toBe(v);
  expect(map.get('/nope')).toBeUndefined();
  expect(map.delete('/nope')).toBe(map);
});
