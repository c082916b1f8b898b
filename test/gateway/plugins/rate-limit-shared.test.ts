/**
 * Three gateway processes share their limits through one Redis: together they admit the limit
 * within ±2%; when that Redis is killed mid-traffic every request is still answered (local limits,
 * never a 5xx, never a hang) and shared limiting resumes once Redis is back on the same port.
 */
import { request, type Pool } from 'undici';
import { startRateLimitFleet, type RateLimitFleet } from './rate-limit-fleet';
import type { ThrowawayRedis } from './redis';

const NODES = 3;
const SHARED_LIMIT = 300; // per hour: nothing refills during the test
// Catches requests held on a dead Redis (an offline queue would hold them until reconnect); loose,
// because three gateways and the load share two busy cores. Not a performance measurement.
const HANG_BOUND_MS = 3_000;

interface Reply {
  status: number;
  limit?: string;
  ms: number;
}

describe('rate-limit shared by three gateway processes through Redis', () => {
  let fleet: RateLimitFleet;
  let redis: ThrowawayRedis;
  let pools: Pool[] = [];

  beforeAll(async () => {
    fleet = await startRateLimitFleet(
      NODES,
      [
        { id: 'counted', paths: ['/counted'], upstream: 'u', plugins: { 'rate-limit': { limits: [{ count: SHARED_LIMIT, windowMs: 3_600_000 }], key: ['route'] } } },
        { id: 'roomy', paths: ['/roomy'], upstream: 'u', plugins: { 'rate-limit': { limits: [{ count: 30_000, windowMs: 3_600_000 }], key: ['route'] } } },
      ],
      // Generous, so that a loaded test machine never falls back while the accuracy is measured.
      { GATEHOUSE_RATE_LIMIT_BUDGET_MS: '1000' },
    );
    ({ redis, pools } = fleet);
  }, 180_000);

  afterAll(async () => {
    await fleet?.close();
  });

  /** `n` requests spread round-robin over the gateways, `concurrency` at a time. */
  async function traffic(path: string, n: number, concurrency = 12): Promise<Reply[]> {
    const replies: Reply[] = [];
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const started = performance.now();
        const res = await pools[i % NODES]!.request({ path, method: 'GET' });
        await res.body.dump();
        const limit = res.headers['ratelimit-limit'];
        replies.push({ status: res.statusCode, limit: typeof limit === 'string' ? limit : undefined, ms: performance.now() - started });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return replies;
  }

  it('admits the shared limit within ±2% across the three processes', async () => {
    const replies = await traffic('/counted', SHARED_LIMIT * 2);
    const admitted = replies.filter((r) => r.status === 200).length;
    const refused = replies.filter((r) => r.status === 429).length;
    expect(admitted + refused).toBe(SHARED_LIMIT * 2);
    expect(Math.abs(admitted - SHARED_LIMIT)).toBeLessThanOrEqual(SHARED_LIMIT * 0.02);
  });

  it('Redis killed mid-traffic: every request answered without waiting on Redis, local limits apply; Redis back: shared limits resume', async () => {
    const before = await traffic('/roomy', 30);
    expect(before.every((r) => r.status === 200 && r.limit === '30000')).toBe(true);
    const [during] = await Promise.all([traffic('/roomy', 300), new Promise((r) => setTimeout(r, 50)).then(() => redis.kill())]);
    const after = await traffic('/roomy', 60);
    for (const r of [...during, ...after]) {
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(HANG_BOUND_MS);
    }
    // With Redis gone, each node limits on its own share: 30000 ÷ 3.
    expect(after.every((r) => r.limit === '10000')).toBe(true);
    // ...and says so on /metrics.
    const metrics = await (await request(`${fleet.gateways[0]!.statusOrigin}/metrics`)).body.text();
    expect(metrics).toMatch(/^gatehouse_ratelimit_degraded_total\{reason="(error|breaker-open)"\} [1-9]/m);
    expect(metrics).toMatch(/^gatehouse_ratelimit_breaker_state [12]$/m);
    await redis.start();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = await traffic('/roomy', NODES * 4, NODES);
      if (probe.every((r) => r.limit === '30000')) break;
      if (Date.now() > deadline) throw new Error(`shared limits did not resume: ${JSON.stringify(probe.map((r) => r.limit))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
