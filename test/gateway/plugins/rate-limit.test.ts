import { createRateLimitStore, DEFAULT_RATE_LIMIT_BUDGET_MS, RedisRateLimitStore, type RateLimitStore } from '../../../gateway/src/plugins/rate-limit';
import { DEFAULT_RATE_LIMIT_BUDGET_MS as SETTINGS_BUDGET_MS } from '../../../gateway/src/settings/schema';
import type { PluginAnswer } from '../../../gateway/src/plugins';
import { chainFor, check, decide, documentWith, fakeContext, filled } from './harness';
import { dropPrefix, freePort, requireSharedRedis, SHARED_REDIS_URL, uniquePrefix } from './redis';

describe('rate-limit: config', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('rate-limit', { limits: [{ count: 10, windowMs: 1000 }] })).toEqual({
      limits: [{ count: 10, windowMs: 1000 }],
      key: ['route', 'ip'],
      onStoreFailure: 'local',
      headers: true,
    });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'rate-limit': { limits: [{ count: 'ten', windowMs: 1000 }] } })).problems).toEqual([
      { path: '/routes/0/plugins/rate-limit/limits/0/count', message: 'must be integer.', fix: 'use a value of type integer.' },
    ]);
  });

  it('needs a header name when keyed by header, and parsable trusted proxies', () => {
    expect(check(documentWith({ 'rate-limit': { limits: [{ count: 1, windowMs: 1000 }], key: ['header'], trustedProxies: ['10.0.0.0/99'] } })).problems).toEqual([
      {
        path: '/routes/0/plugins/rate-limit/trustedProxies/0',
        message: '"10.0.0.0/99" is not an IP address or CIDR range.',
        fix: 'write an IPv4 or IPv6 address, optionally with a prefix length, e.g. "10.0.0.0/8" or "2001:db8::/32".',
      },
      { path: '/routes/0/plugins/rate-limit/header', message: 'key has "header" but no header name is given.', fix: 'set header to the name of the header to count by, e.g. "x-tenant".' },
    ]);
  });
});

/** The same behaviour from the in-memory store and from Redis. */
describe.each([
  ['memory', () => createRateLimitStore()],
  // A long budget: these tests are about the decisions, and a loaded machine must not push them to the fallback.
  ['redis', (keyPrefix: string) => createRateLimitStore({ redisUrl: SHARED_REDIS_URL, keyPrefix, budgetMs: 5_000 })],
] as const)('rate-limit with the %s store', (kind, makeStore) => {
  let store: RateLimitStore;
  const keyPrefix = uniquePrefix();

  beforeAll(async () => {
    if (kind === 'redis') await requireSharedRedis();
  });

  beforeEach(async () => {
    store = makeStore(keyPrefix);
    if (store instanceof RedisRateLimitStore) await store.connected();
  });

  afterEach(async () => {
    await store.close();
    if (kind === 'redis') await dropPrefix(SHARED_REDIS_URL, keyPrefix);
  });

  const run = async (plugins: object, req: Parameters<typeof fakeContext>[1] = {}, times = 1) => {
    const { chain, config } = chainFor(documentWith({ 'rate-limit': plugins }), { rateLimit: store });
    const results: { answer: PluginAnswer | undefined; headers: Record<string, string> }[] = [];
    for (let i = 0; i < times; i++) {
      const ctx = fakeContext(config, req);
      results.push({ answer: await decide(chain, ctx), headers: ctx.responseHeaders });
    }
    return { chain, config, results };
  };

  it('admits the limit, then answers 429 with Retry-After and the RateLimit headers', async () => {
    const { results } = await run({ limits: [{ count: 3, windowMs: 60_000 }] }, {}, 4);
    expect(results.slice(0, 3).map((r) => r.answer)).toEqual([undefined, undefined, undefined]);
    expect(results.slice(0, 3).map((r) => r.headers['ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(results[0]!.headers).toEqual({ 'ratelimit-limit': '3', 'ratelimit-remaining': '2', 'ratelimit-reset': '20', 'ratelimit-policy': '3;w=60' });
    expect(results[3]!.answer).toEqual({
      status: 429,
      error: 'GW_ERR_RATE_LIMITED',
      headers: { 'ratelimit-limit': '3', 'ratelimit-remaining': '0', 'ratelimit-reset': '60', 'ratelimit-policy': '3;w=60', 'retry-after': '20' },
    });
  });

  it('applies several limits in one decision; a request refused by one consumes none', async () => {
    // 2 per 2 s (one more every second) and 3 per hour.
    const { chain, config } = await run({ limits: [{ count: 2, windowMs: 2_000 }, { count: 3, windowMs: 3_600_000 }], key: ['route'] });
    const once = () => decide(chain, fakeContext(config));
    expect(await once()).toBeUndefined(); // second of the hour (run() made the first)
    const refused = await once();
    expect(refused?.status).toBe(429);
    expect(refused?.headers?.['ratelimit-limit']).toBe('2');
    // Keep knocking until the short limit refills: the refused requests must not have used the hour's quota.
    const deadline = Date.now() + 10_000;
    let answer = await once();
    while (answer !== undefined) {
      if (Date.now() > deadline) throw new Error('the short limit never refilled');
      expect(answer.headers?.['ratelimit-limit']).toBe('2');
      await new Promise((r) => setTimeout(r, 50));
      answer = await once();
    }
    // That was the third of the hour: now the hour limit refuses, and its long wait is what is reported.
    const hourly = await once();
    expect(hourly?.status).toBe(429);
    expect(hourly?.headers?.['ratelimit-limit']).toBe('3');
    expect(Number(hourly?.headers?.['retry-after'])).toBeGreaterThan(1_000);
  });

  it('counts per consumer, per header value and per client address as configured', async () => {
    const limits = [{ count: 1, windowMs: 60_000 }];
    const { chain, config } = chainFor(documentWith({ 'rate-limit': { limits, key: ['route', 'header'], header: 'X-Tenant' } }), { rateLimit: store });
    expect(await decide(chain, fakeContext(config, { headers: { 'x-tenant': 'a' } }))).toBeUndefined();
    expect(await decide(chain, fakeContext(config, { headers: { 'x-tenant': 'b{}' } }))).toBeUndefined();
    expect((await decide(chain, fakeContext(config, { headers: { 'x-tenant': 'a' } })))?.status).toBe(429);
    const byIp = chainFor(documentWith({ 'rate-limit': { limits } }), { rateLimit: store });
    expect(await decide(byIp.chain, fakeContext(byIp.config, { remoteAddress: '10.0.0.1' }))).toBeUndefined();
    expect(await decide(byIp.chain, fakeContext(byIp.config, { remoteAddress: '10.0.0.2' }))).toBeUndefined();
    expect((await decide(byIp.chain, fakeContext(byIp.config, { remoteAddress: '10.0.0.1' })))?.status).toBe(429);
    const byConsumer = chainFor(documentWith({ 'rate-limit': { limits, key: ['consumer'] } }), { rateLimit: store });
    const as = (id: string) => {
      const ctx = fakeContext(byConsumer.config, { remoteAddress: '10.0.0.9' });
      ctx.consumer = { id };
      return decide(byConsumer.chain, ctx);
    };
    expect(await as('alice')).toBeUndefined();
    expect(await as('bob')).toBeUndefined();
    expect((await as('alice'))?.status).toBe(429);
  });

  it('admits exactly the limit under concurrent requests', async () => {
    const { chain, config } = chainFor(documentWith({ 'rate-limit': { limits: [{ count: 100, windowMs: 3_600_000 }], key: ['route'] } }), { rateLimit: store });
    const answers = await Promise.all(Array.from({ length: 300 }, () => decide(chain, fakeContext(config))));
    expect(answers.filter((a) => a === undefined)).toHaveLength(100);
    expect(answers.filter((a) => a?.status === 429)).toHaveLength(200);
  });
});

describe('rate-limit on Redis', () => {
  beforeAll(requireSharedRedis);

  it('keeps every counter of a decision under one hash tag (one Redis Cluster slot) and with a TTL', async () => {
    const keyPrefix = uniquePrefix();
    const store = createRateLimitStore({ redisUrl: SHARED_REDIS_URL, keyPrefix, budgetMs: 1_000 }) as RedisRateLimitStore;
    try {
      await store.connected();
      const { chain, config } = chainFor(documentWith({ 'rate-limit': { limits: [{ count: 5, windowMs: 1_000 }, { count: 50, windowMs: 60_000 }] } }), { rateLimit: store });
      expect(await decide(chain, fakeContext(config))).toBeUndefined();
      const { Redis } = await import('ioredis');
      const client = new Redis(SHARED_REDIS_URL);
      try {
        const keys = (await client.keys(`${keyPrefix}*`)).sort();
        expect(keys).toEqual([`${keyPrefix}rl:{r=r1|ip=127.0.0.1}:5/1000/5`, `${keyPrefix}rl:{r=r1|ip=127.0.0.1}:50/60000/50`]);
        const ttls = await Promise.all(keys.map((k) => client.pttl(k)));
        expect(ttls.every((t) => t > 0 && t <= 60_001)).toBe(true);
      } finally {
        client.disconnect();
      }
    } finally {
      await store.close();
      await dropPrefix(SHARED_REDIS_URL, keyPrefix);
    }
  });

  it('unreachable Redis: "local" decides per node (limit ÷ node count), "deny" answers 503', async () => {
    const store = createRateLimitStore({ redisUrl: `redis://127.0.0.1:${await freePort()}`, keyPrefix: uniquePrefix(), nodeCount: 2 });
    try {
      const local = chainFor(documentWith({ 'rate-limit': { limits: [{ count: 4, windowMs: 60_000 }] } }), { rateLimit: store });
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await decide(local.chain, fakeContext(local.config)));
      expect(answers.map((a) => a?.status)).toEqual([undefined, undefined, 429]);
      expect(answers[2]?.headers?.['ratelimit-limit']).toBe('2');
      const deny = chainFor(documentWith({ 'rate-limit': { limits: [{ count: 4, windowMs: 60_000 }], onStoreFailure: 'deny' } }), { rateLimit: store });
      expect(await decide(deny.chain, fakeContext(deny.config))).toEqual({ status: 503, error: 'GW_ERR_RATE_LIMIT_UNAVAILABLE', headers: { 'retry-after': '1' } });
    } finally {
      await store.close();
    }
  });
});

describe('rate-limit store defaults', () => {
  it('waits for Redis as long as the rateLimitBudgetMs setting does by default', () => {
    expect(DEFAULT_RATE_LIMIT_BUDGET_MS).toBe(SETTINGS_BUDGET_MS);
  });
});
