/**
 * No over-admission across a Redis outage, with real processes: three gateway processes share a
 * ceiling of 300 per hour through a test-started Redis, which is frozen (SIGSTOP) and then killed in
 * the middle of the window. Fixed request counts and an hour-long window, so the count does not
 * depend on the machine's speed: before, during and after each outage the three admit at most the
 * ceiling + 5%.
 */
import { request, type Pool } from 'undici';
import type { RunningGateway } from '../../../support/gateway-process';
import { startRateLimitFleet, type RateLimitFleet } from './rate-limit-fleet';
import type { ThrowawayRedis } from './redis';

const NODES = 3;
const CEILING = 300;

let fleet: RateLimitFleet;
let redis: ThrowawayRedis;
let gateways: RunningGateway[] = [];
let pools: Pool[] = [];

beforeAll(async () => {
  const limited = (count: number, key: string) => ({ 'rate-limit': { limits: [{ count, windowMs: 3_600_000 }], key: ['header'], header: key } });
  fleet = await startRateLimitFleet(
    NODES,
    [
      { id: 'counted', paths: ['/counted'], upstream: 'u', plugins: limited(CEILING, 'x-tenant') },
      { id: 'probe', paths: ['/probe'], upstream: 'u', plugins: limited(1_000_000, 'x-probe') },
    ],
    // Generous, so that a loaded machine does not fall back while Redis is up; a freeze still costs only this per probe.
    { GATEHOUSE_RATE_LIMIT_BUDGET_MS: '200' },
  );
  ({ redis, gateways, pools } = fleet);
}, 180_000);

afterAll(async () => {
  await fleet?.close();
});

/** `perNode` requests for one tenant on every gateway, round robin; returns how many were admitted. */
async function traffic(perNode: number, tenant: string): Promise<number> {
  let admitted = 0;
  for (let i = 0; i < perNode; i++)
    for (const pool of pools) {
      const res = await pool.request({ path: '/counted', method: 'GET', headers: { 'x-tenant': tenant } });
      await res.body.dump();
      expect([200, 429]).toContain(res.statusCode);
      if (res.statusCode === 200) admitted++;
    }
  return admitted;
}

/** Waits until every gateway's breaker is closed again (it probes on another key, so the tenant is untouched). */
async function redisBackOnEveryGateway(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const [i, g] of gateways.entries()) {
    for (;;) {
      await (await pools[i]!.request({ path: '/probe', method: 'GET', headers: { 'x-probe': 'p' } })).body.dump();
      const metrics = await (await request(`${g.statusOrigin}/metrics`)).body.text();
      if (/^gatehouse_ratelimit_breaker_state 0$/m.test(metrics)) break;
      if (Date.now() > deadline) throw new Error(`gateway ${i} did not go back to Redis`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test('Redis frozen mid-window, then answering again: the three processes admit at most the ceiling + 5%', async () => {
  const before = await traffic(60, 'frozen');
  redis.pause();
  let during: number;
  try {
    during = await traffic(60, 'frozen');
  } finally {
    redis.resume();
  }
  await redisBackOnEveryGateway();
  const after = await traffic(60, 'frozen');
  expect(before).toBe(180);
  expect(before + during + after).toBeLessThanOrEqual(CEILING * 1.05);
});

test('Redis killed mid-window and restarted without its counters: the three processes admit at most the ceiling + 5%', async () => {
  const before = await traffic(60, 'killed');
  await redis.kill();
  const during = await traffic(60, 'killed');
  await redis.start();
  await redisBackOnEveryGateway();
  const after = await traffic(60, 'killed');
  expect(before).toBe(180);
  expect(before + during + after).toBeLessThanOrEqual(CEILING * 1.05);
});
