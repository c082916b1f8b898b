/**
 * Redis slow or gone, at the store and plugin level: decisions never hang, fall back to per-node
 * limits (limit ÷ node count), the breaker stops calling Redis, and shared limits resume by
 * themselves when Redis answers again. Uses a redis-server of its own, paused and killed mid-traffic.
 */
import { Registry } from 'prom-client';
import { createRateLimitStore, limitSpec, RedisRateLimitStore, type RateLimitDecision } from '../../../gateway/src/plugins/rate-limit';
import { chainFor, decide, documentWith, fakeContext } from './harness';
import { ThrowawayRedis, uniquePrefix } from './redis';

const HANG_BOUND_MS = 1_000; // catches hangs; not a performance measurement
const SHARED = [limitSpec(10_000, 3_600_000)];

const registry = new Registry();

async function degraded(reason: string): Promise<number> {
  const metric = registry.getSingleMetric('gatehouse_ratelimit_degraded_total');
  const values = (await metric!.get()).values;
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('rate-limit when Redis is slow or down', () => {
  let redis: ThrowawayRedis;
  let store: RedisRateLimitStore;

  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    store = createRateLimitStore({ redisUrl: redis.url, keyPrefix: uniquePrefix(), budgetMs: 50, nodeCount: 2, breakerProbeIntervalMs: 100, registry }) as RedisRateLimitStore;
    await store.connected();
  });

  afterAll(async () => {
    await store.close();
    await redis.stop();
  });

  /** One decision, checking it settles (no hang) and never throws. */
  async function timed(key = 'shared', limits = SHARED): Promise<RateLimitDecision> {
    const started = performance.now();
    const d = await store.decide(key, limits, 'local');
    expect(performance.now() - started).toBeLessThan(HANG_BOUND_MS);
    return d;
  }

  async function eventually(what: string, condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('decides on Redis while it answers', async () => {
    await eventually('a decision comes from Redis', async () => (await timed()).source === 'redis');
    expect(store.breaker.state).toBe('closed');
  });

  it('Redis frozen (slow): decisions fall back within the budget, the breaker opens, local limits apply', async () => {
    const timeoutsBefore = await degraded('timeout');
    const openBefore = await degraded('breaker-open');
    redis.pause();
    try {
      const decisions = [];
      for (let i = 0; i < 20; i++) decisions.push(await timed());
      expect(decisions.every((d) => d.source === 'local' && d.allowed)).toBe(true);
      expect(await degraded('timeout')).toBeGreaterThan(timeoutsBefore);
      expect(await degraded('breaker-open')).toBeGreaterThan(openBefore);
      expect(store.breaker.state).not.toBe('closed');
      // A limit of 4 shared by 2 nodes allows 2 per node while Redis is out.
      const local = [];
      for (let i = 0; i < 3; i++) local.push(await timed('local-check', [limitSpec(4, 60_000)]));
      expect(local.map((d) => [d.allowed, d.limit])).toEqual([[true, 2], [true, 2], [false, 2]]);
    } finally {
      redis.resume();
    }
  });

  it('Redis answering again: the breaker closes and shared decisions resume by themselves', async () => {
    await eventually('decisions come from Redis again', async () => (await timed()).source === 'redis');
    expect(store.breaker.state).toBe('closed');
  });

  it('Redis killed mid-traffic: no request fails, no request hangs; restarted on the same port: shared limiting resumes', async () => {
    const { chain, config } = chainFor(documentWith({ 'rate-limit': { limits: [{ count: 10_000, windowMs: 3_600_000 }], key: ['route'] } }), { rateLimit: store });
    const traffic = async (n: number) => {
      const answers = [];
      for (let i = 0; i < n; i++) {
        const ctx = fakeContext(config);
        const started = performance.now();
        answers.push({ answer: await decide(chain, ctx), limit: ctx.responseHeaders['ratelimit-limit'], ms: performance.now() - started });
      }
      return answers;
    };
    const before = await traffic(10);
    expect(before.every((a) => a.answer === undefined)).toBe(true);
    const killed = redis.kill();
    const during = await traffic(50);
    await killed;
    const after = await traffic(20);
    for (const a of [...during, ...after]) {
      expect(a.answer).toBeUndefined();
      expect(a.ms).toBeLessThan(HANG_BOUND_MS);
    }
    // Once down, the per-node limit (10000 ÷ 2) is what the headers announce.
    expect(after.every((a) => a.limit === '5000')).toBe(true);
    await redis.start();
    await eventually('decisions come from Redis after the restart', async () => (await timed()).source === 'redis');
    const resumed = await traffic(5);
    expect(resumed.map((a) => a.limit)).toEqual(['10000', '10000', '10000', '10000', '10000']);
  });
});
