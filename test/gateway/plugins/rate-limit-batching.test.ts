/**
 * The Redis store's per-request machinery: decisions started in one event-loop turn leave in one
 * write (corked until the turn ends) and keep their order; one budget timer serves every pending
 * decision, expiring each exactly once and never one that already settled.
 */
import { PassThrough, Writable } from 'node:stream';
import { createRateLimitStore, limitSpec, RedisRateLimitStore } from '../../../gateway/src/plugins/rate-limit';
import { BudgetQueue, type PendingDecision } from '../../../gateway/src/plugins/rate-limit/budget';
import { WriteBatcher } from '../../../gateway/src/plugins/rate-limit/write-batch';
import { dropPrefix, requireSharedRedis, SHARED_REDIS_URL, uniquePrefix } from './redis';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('WriteBatcher', () => {
  it('holds the writes of one turn and sends them together when the turn ends', async () => {
    // A socket stand-in that records each write call: write for one chunk, writev for a batch.
    const calls: string[][] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        calls.push([String(chunk)]);
        done();
      },
      writev(chunks, done) {
        calls.push(chunks.map((c) => String(c.chunk)));
        done();
      },
    });
    const batcher = new WriteBatcher(() => [stream]);
    for (const text of ['one', 'two', 'three']) {
      batcher.join();
      stream.write(text);
    }
    expect(batcher.batching).toBe(true);
    expect(stream.writableCorked).toBe(1);
    expect(calls).toEqual([]);
    await nextTurn();
    expect(batcher.batching).toBe(false);
    expect(stream.writableCorked).toBe(0);
    expect(calls).toEqual([['one', 'two', 'three']]);
    // The next turn opens a new batch.
    batcher.join();
    expect(stream.writableCorked).toBe(1);
    batcher.flush();
    expect(stream.writableCorked).toBe(0);
    stream.destroy();
  });

  it('skips a connection that is missing or destroyed', async () => {
    const gone = new PassThrough();
    gone.destroy();
    const batcher = new WriteBatcher(() => [undefined, gone]);
    batcher.join();
    await nextTurn();
    expect(batcher.batching).toBe(false);
    expect(gone.writableCorked).toBe(0);
  });
});

describe('BudgetQueue', () => {
  function pending(): PendingDecision & { expired: number } {
    return {
      settled: false,
      deadline: 0,
      expired: 0,
      expire() {
        this.settled = true;
        this.expired++;
      },
    };
  }

  it('expires the unsettled decisions once their budget is spent, each once, in order', async () => {
    let now = 0;
    const queue = new BudgetQueue(5, () => now);
    const a = pending();
    const b = pending();
    const c = pending();
    queue.add(a);
    queue.add(b);
    now = 3;
    queue.add(c);
    b.settled = true; // its reply came in time
    now = 5;
    await waitFor(() => a.expired === 1);
    expect([a.expired, b.expired, c.expired]).toEqual([1, 0, 0]);
    expect(queue.size).toBe(1); // c, due at 8
    now = 8;
    await waitFor(() => c.expired === 1);
    expect([a.expired, b.expired, c.expired]).toEqual([1, 0, 1]);
    expect(queue.size).toBe(0);
    queue.close();
  });

  it('drops settled decisions without expiring them, and stops its timer on close', async () => {
    let now = 0;
    const queue = new BudgetQueue(1, () => now);
    const all = Array.from({ length: 100 }, () => pending());
    for (const p of all) queue.add(p);
    for (const p of all) p.settled = true;
    now = 1;
    await waitFor(() => queue.size === 0);
    expect(all.every((p) => p.expired === 0)).toBe(true);
    const late = pending();
    queue.add(late);
    queue.close();
    now = 10;
    await new Promise((r) => setTimeout(r, 20));
    expect(late.expired).toBe(0);
  });
});

describe('Redis store: decisions of one turn, sent as one batch', () => {
  const keyPrefix = uniquePrefix();
  let store: RedisRateLimitStore;

  beforeAll(async () => {
    await requireSharedRedis();
    store = createRateLimitStore({ redisUrl: SHARED_REDIS_URL, keyPrefix, budgetMs: 5_000 }) as RedisRateLimitStore;
    await store.connected();
  });

  afterAll(async () => {
    await store.close();
    await dropPrefix(SHARED_REDIS_URL, keyPrefix);
  });

  it('decisions started in the same turn are decided by Redis in the order they started', async () => {
    const limits = [limitSpec(5, 60_000), limitSpec(100, 3_600_000)];
    const decisions = await Promise.all(Array.from({ length: 8 }, () => store.decide('burst', limits, 'local')));
    // The limit that decides is the one with least left (5 per minute), or the one that refuses.
    expect(decisions.map((d) => [d.source, d.allowed, d.remaining, d.limit])).toEqual([
      ['redis', true, 4, 5],
      ['redis', true, 3, 5],
      ['redis', true, 2, 5],
      ['redis', true, 1, 5],
      ['redis', true, 0, 5],
      ['redis', false, 0, 5],
      ['redis', false, 0, 5],
      ['redis', false, 0, 5],
    ]);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 2));
  }
}
