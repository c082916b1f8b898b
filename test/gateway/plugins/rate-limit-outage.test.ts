/**
 * No over-admission across a Redis outage: three nodes (three stores, each with its own Redis
 * connection, breaker and local limiter) share a ceiling of 300 per hour. Redis is frozen or killed
 * in the middle of the window and comes back; the total admitted over fixed request counts stays
 * within the ceiling + 5%, whether Redis kept its counters (freeze) or lost them (restart). An hour
 * window means nothing replenishes while the test runs, so the count does not depend on its speed.
 */
import { Registry } from 'prom-client';
import { createRateLimitStore, limitSpec, type RedisRateLimitStore } from '../../../gateway/src/plugins/rate-limit';
import { CircuitBreaker } from '../../../gateway/src/plugins/rate-limit/breaker';
import { ThrowawayRedis, uniquePrefix } from './redis';

const CEILING = 300;
const LIMITS = [limitSpec(CEILING, 3_600_000)];
const NODES = 3;
/**
 * Long enough that most decisions during the freeze are local: each probe waits out the budget, and
 * a decision that timed out still runs when Redis resumes (that only ever under-admits).
 */
const PROBE_INTERVAL_MS = 1_000;

let redis: ThrowawayRedis;
let nodes: RedisRateLimitStore[];
/** The three stores count on one registry, so `held()` is their sum. */
const registry = new Registry();

beforeEach(async () => {
  redis = await ThrowawayRedis.start();
  const keyPrefix = uniquePrefix();
  nodes = Array.from(
    { length: NODES },
    () => createRateLimitStore({ redisUrl: redis.url, keyPrefix, budgetMs: 50, nodeCount: NODES, breakerProbeIntervalMs: PROBE_INTERVAL_MS, registry }) as RedisRateLimitStore,
  );
  await Promise.all(nodes.map((n) => n.connected()));
});

afterEach(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await redis.stop();
});

/** `perNode` decisions on every node, round robin (a load balancer's spread); returns how many were admitted. */
async function traffic(perNode: number, key = 'tenant'): Promise<number> {
  let admitted = 0;
  for (let i = 0; i < perNode; i++) for (const node of nodes) if ((await node.decide(key, LIMITS, 'local')).allowed) admitted++;
  return admitted;
}

/** Waits until every node decides on Redis again (probing another key, so the measured one is not touched). */
async function redisBackOnEveryNode(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (const node of nodes) {
    while ((await node.decide('probe', LIMITS, 'local')).source !== 'redis') {
      if (Date.now() > deadline) throw new Error('the nodes did not go back to Redis');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function held(): Promise<number> {
  return (await registry.getSingleMetric('gatehouse_ratelimit_outage_held_total')!.get()).values[0]?.value ?? 0;
}

test('Redis frozen mid-window: before + during + after the freeze, the three nodes admit at most the ceiling + 5%', async () => {
  const before = await traffic(60);
  expect(before).toBe(180);
  redis.pause();
  let during: number;
  try {
    during = await traffic(100);
  } finally {
    redis.resume();
  }
  // Each node's local share (300 ÷ 3) already holds the 60 Redis admitted on it.
  expect(during).toBeLessThanOrEqual(120);
  await redisBackOnEveryNode();
  const heldBefore = await held();
  const after = await traffic(100);
  expect(before + during + after).toBeLessThanOrEqual(CEILING * 1.05);
  expect(await held()).toBeGreaterThan(heldBefore);
});

test('Redis killed and restarted without its counters: the nodes still admit at most the ceiling + 5%', async () => {
  const before = await traffic(60);
  await redis.kill();
  const during = await traffic(100);
  await redis.start();
  await redisBackOnEveryNode();
  const after = await traffic(100);
  expect(before + during + after).toBeLessThanOrEqual(CEILING * 1.05);
});

test('a key never decided locally is Redis-only after the outage (no node is held to its share)', async () => {
  redis.pause();
  try {
    await traffic(5, 'during');
  } finally {
    redis.resume();
  }
  await redisBackOnEveryNode();
  // 'fresh' was never decided locally: one node may take more than its share of 100.
  let admitted = 0;
  for (let i = 0; i < 150; i++) if ((await nodes[0].decide('fresh', LIMITS, 'local')).allowed) admitted++;
  expect(admitted).toBe(150);
});

test('a flapping breaker waits longer before each probe: the interval doubles when it reopens soon after closing', () => {
  let now = 0;
  const breaker = new CircuitBreaker({ failures: 1, probeIntervalMs: 100, clock: () => now });
  breaker.failure();
  expect(breaker.currentProbeIntervalMs).toBe(100);
  const flap = (): void => {
    now += breaker.currentProbeIntervalMs;
    expect(breaker.allow()).toBe(true);
    breaker.success();
    now += 10;
    breaker.failure();
  };
  flap();
  expect(breaker.currentProbeIntervalMs).toBe(200);
  flap();
  flap();
  flap();
  flap();
  expect(breaker.currentProbeIntervalMs).toBe(1_600);
  // Stable for a while after closing: a later opening starts from the base interval again.
  now += breaker.currentProbeIntervalMs;
  expect(breaker.allow()).toBe(true);
  breaker.success();
  now += 100_000;
  breaker.failure();
  expect(breaker.currentProbeIntervalMs).toBe(100);
});
