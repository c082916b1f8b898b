/**
 * The Redis rate-limit path calls the script by EVALSHA directly, and loads it itself (EVAL) when
 * Redis answers NOSCRIPT: on first use, and after the script cache is gone (a Redis restart or
 * failover, SCRIPT FLUSH). Uses a redis-server of its own, so the command counts are this test's.
 */
import { Redis } from 'ioredis';
import { createRateLimitStore, limitSpec, type RedisRateLimitStore } from '../../../gateway/src/plugins/rate-limit';
import { ThrowawayRedis, uniquePrefix } from './redis';

const LIMITS = [limitSpec(100, 60_000)];

let redis: ThrowawayRedis;
let admin: Redis;
let store: RedisRateLimitStore;

beforeAll(async () => {
  redis = await ThrowawayRedis.start();
  admin = new Redis(redis.url);
  store = createRateLimitStore({ redisUrl: redis.url, keyPrefix: uniquePrefix(), budgetMs: 5_000 }) as RedisRateLimitStore;
  await store.connected();
});

afterAll(async () => {
  await store.close();
  admin.disconnect();
  await redis.stop();
});

async function calls(): Promise<{ evalsha: number; eval: number }> {
  const info = await admin.info('commandstats');
  const count = (name: string): number => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return { evalsha: count('evalsha'), eval: count('eval') };
}

test('loads the script once on NOSCRIPT, then decides by EVALSHA alone', async () => {
  for (let i = 0; i < 3; i++) expect(await store.decide('k', LIMITS, 'local')).toMatchObject({ allowed: true, source: 'redis', remaining: 99 - i });
  expect(await calls()).toEqual({ evalsha: 3, eval: 1 });
});

test('after SCRIPT FLUSH the next decision loads the script again and is still a Redis decision', async () => {
  await admin.script('FLUSH');
  const before = await calls();
  expect(await store.decide('k', LIMITS, 'local')).toMatchObject({ allowed: true, source: 'redis', remaining: 96 });
  expect(await store.decide('k', LIMITS, 'local')).toMatchObject({ allowed: true, source: 'redis', remaining: 95 });
  const after = await calls();
  expect({ evalsha: after.evalsha - before.evalsha, eval: after.eval - before.eval }).toEqual({ evalsha: 2, eval: 1 });
});
