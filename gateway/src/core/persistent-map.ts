/**
 * An immutable string-keyed map whose updates return a new map sharing what did not change, for the
 * router's copy-on-write updates. Small maps are one `Map` copied on write; past `FLAT_LIMIT` keys
 * the entries are spread over `BUCKETS` maps by a string hash, so an update copies the bucket array
 * and one bucket (about 1/256 of the entries) instead of every entry: a root with 100,000 literal
 * children is updated in microseconds.
 */
const FLAT_LIMIT = 64;
const BUCKETS = 256;

function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) & (BUCKETS - 1);
}

export class PersistentMap<V> {
  static empty<V>(): PersistentMap<V> {
    return new PersistentMap<V>(new Map(), undefined, 0);
  }

  /** A map holding the entries of `source` (which it may keep: the caller must not change it afterwards). */
  static from<V>(source: Map<string, V>): PersistentMap<V> {
    if (source.size <= FLAT_LIMIT) return new PersistentMap(source, undefined, source.size);
    const buckets = Array.from({ length: BUCKETS }, () => new Map<string, V>());
    for (const [k, v] of source) buckets[bucketOf(k)]!.set(k, v);
    return new PersistentMap<V>(new Map(), buckets, source.size);
  }

  private constructor(
    private readonly flat: ReadonlyMap<string, V>,
    private readonly buckets: readonly ReadonlyMap<string, V>[] | undefined,
    readonly size: number,
  ) {}

  get(key: string): V | undefined {
    return this.buckets ? this.buckets[bucketOf(key)]!.get(key) : this.flat.get(key);
  }

  /** A map with `key` set to `value`. */
  set(key: string, value: V): PersistentMap<V> {
    if (!this.buckets) {
      const flat = new Map(this.flat);
      flat.set(key, value);
      return PersistentMap.from(flat);
    }
    const b = bucketOf(key);
    const bucket = new Map(this.buckets[b]);
    const had = bucket.has(key);
    bucket.set(key, value);
    const buckets = this.buckets.slice();
    buckets[b] = bucket;
    return new PersistentMap<V>(this.flat, buckets, this.size + (had ? 0 : 1));
  }

  /** A map without `key` (this map when it has none). */
  delete(key: string): PersistentMap<V> {
    if (!this.buckets) {
      if (!this.flat.has(key)) return this;
      const flat = new Map(this.flat);
      flat.delete(key);
      return new PersistentMap(flat, undefined, flat.size);
    }
    const b = bucketOf(key);
    if (!this.buckets[b]!.has(key)) return this;
    const bucket = new Map(this.buckets[b]);
    bucket.delete(key);
    const buckets = this.buckets.slice();
    buckets[b] = bucket;
    // Stays bucketed when it shrinks: flattening back would only save memory on a map that was large.
    return new PersistentMap<V>(this.flat, buckets, this.size - 1);
  }

  /** Every entry (no particular order). */
  *entries(): IterableIterator<[string, V]> {
    if (!this.buckets) yield* this.flat;
    else for (const bucket of this.buckets) yield* bucket;
  }
}
