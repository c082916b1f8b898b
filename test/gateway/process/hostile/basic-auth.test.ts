/**
 * Password guessing against a real data plane process. Clients connect from distinct loopback
 * addresses (127.0.0.x), so the gateway sees distinct socket peers: one guesser's parallel bad
 * attempts get 429 (its share of the scrypt queue is taken, then it must wait) while an honest login
 * from another address succeeds; behind a trusted proxy the `X-Forwarded-For` client is counted,
 * not the proxy, so a guesser behind the load balancer does not lock everyone else out.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { hashPassword } from '../../../../gateway/src/plugins/credentials';
import { startGateway, type RunningGateway } from '../../../../support/gateway-process';

const PASSWORD = 'correct horse battery staple';
const PROXY = '127.0.0.3';
const basic = (password: string) => 'Basic ' + Buffer.from(`ops:${password}`).toString('base64');

interface Reply {
  status: number;
  retryAfter?: string;
  code?: string;
}

describe('basic-auth against guessing clients', () => {
  let upstream: Server;
  let gateway: RunningGateway;
  const pools = new Map<string, Pool>();

  beforeAll(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    gateway = await startGateway({
      config: {
        upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }] }],
        routes: [{ id: 'admin', paths: ['/admin/*'], upstream: 'u', plugins: { 'basic-auth': { maxFailures: 3, backoffMs: 60_000 } } }],
        consumers: [{ id: 'ops', plugins: { 'basic-auth': { username: 'ops', passwordHash: await hashPassword(PASSWORD) } } }],
      },
      env: { GATEHOUSE_TRUSTED_PROXIES: PROXY },
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...pools.values()].map((p) => p.close()));
    await gateway?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  /** A request from the loopback address `from`. */
  async function login(from: string, password: string, headers: Record<string, string> = {}): Promise<Reply> {
    let pool = pools.get(from);
    if (!pool) pools.set(from, (pool = new Pool(gateway.origin, { connections: 32, localAddress: from })));
    const res = await pool.request({ path: '/admin/x', method: 'GET', headers: { authorization: basic(password), ...headers } });
    const body = await res.body.text();
    const retryAfter = res.headers['retry-after'];
    return { status: res.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, code: res.statusCode === 200 ? undefined : JSON.parse(body).error.code };
  }

  it('refuses a guesser with 429 while an honest login from another address succeeds', async () => {
    const attack = Promise.all(Array.from({ length: 24 }, (_, i) => login('127.0.0.2', `guess-${i}`)));
    const honest = await login('127.0.0.5', PASSWORD);
    const guesses = await attack;
    expect(honest.status).toBe(200);
    // At most its share of the queue was checked; everything else was refused without scrypt.
    expect(guesses.filter((g) => g.status === 401).length).toBeLessThanOrEqual(3);
    // Refused for its share of the queue (Retry-After 1), or, had three checks finished first, for its failures (60).
    for (const g of guesses.filter((g) => g.status !== 401)) expect(g).toEqual({ status: 429, retryAfter: expect.stringMatching(/^(1|60)$/), code: 'GW_ERR_RATE_LIMITED' });
    // Keep guessing one at a time: after maxFailures (3) the address waits backoffMs (60 s).
    let last: Reply | undefined;
    for (let i = 0; i < 4 && last?.retryAfter !== '60'; i++) last = await login('127.0.0.2', `again-${i}`);
    expect(last).toEqual({ status: 429, retryAfter: '60', code: 'GW_ERR_RATE_LIMITED' });
    // Even the right password waits now (though it is cached since the honest login), and the honest client is unaffected.
    expect(await login('127.0.0.2', PASSWORD)).toEqual({ status: 429, retryAfter: '60', code: 'GW_ERR_RATE_LIMITED' });
    expect((await login('127.0.0.6', PASSWORD)).status).toBe(200);
  });

  it('behind a trusted proxy counts the X-Forwarded-For client, not the proxy', async () => {
    for (let i = 0; i < 3; i++) expect((await login(PROXY, `guess-${i}`, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(401);
    expect(await login(PROXY, `guess-3`, { 'x-forwarded-for': '203.0.113.7' })).toEqual({ status: 429, retryAfter: '60', code: 'GW_ERR_RATE_LIMITED' });
    // Another client through the same load balancer still signs in.
    expect((await login(PROXY, PASSWORD, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(200);
    // An untrusted peer cannot escape its count by inventing X-Forwarded-For values.
    for (let i = 0; i < 3; i++) expect((await login('127.0.0.4', `guess-${i}`, { 'x-forwarded-for': `192.0.2.${i}` })).status).toBe(401);
    expect((await login('127.0.0.4', 'guess-3', { 'x-forwarded-for': '192.0.2.99' })).status).toBe(429);
  });
});
