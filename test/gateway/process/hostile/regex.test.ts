/**
 * ReDoS against a real data plane process: a route whose header match is `^(a+)+$` (and one whose
 * path is `~^/files/(a+)+$`) gets hostile values of 10,000 (8,000 in the path) `a` and a `!`. With a backtracking engine
 * one such request blocks the event loop for longer than the universe is old; here each is answered,
 * and requests to another route keep being answered while the attack runs. A pattern that needs
 * backtracking (a back-reference) is refused when the config is loaded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { startGateway, type RunningGateway } from '../../../../support/gateway-process';

const HOSTILE = 'a'.repeat(10_000) + '!';
// Request paths are capped at 8,192 characters (MAX_PATH_LENGTH): 8,000 `a` are as hopeless for backtracking.
const HOSTILE_PATH = `/files/${'a'.repeat(8_000)}!`;

describe('hostile regex inputs', () => {
  let upstream: Server;
  let gateway: RunningGateway;
  let pool: Pool;
  let upstreamPort: number;

  beforeAll(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
    gateway = await startGateway({
      config: {
        upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: upstreamPort }] }],
        routes: [
          { id: 'search', paths: ['/search'], upstream: 'u', headers: [{ name: 'x-tenant', regex: '^(a+)+$' }] },
          { id: 'files', paths: ['~^/files/(a+)+$'], upstream: 'u' },
          { id: 'ok', paths: ['/ok'], upstream: 'u' },
        ],
      },
    });
    pool = new Pool(gateway.origin, { connections: 8 });
  }, 120_000);

  afterAll(async () => {
    await pool?.close();
    await gateway?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const res = await pool.request({ path, method: 'GET', headers });
    return { status: res.statusCode, body: await res.body.text() };
  }

  it('answers hostile header and path values while another route keeps flowing', async () => {
    const attacks = Promise.all([
      ...Array.from({ length: 4 }, () => get('/search', { 'x-tenant': HOSTILE })),
      ...Array.from({ length: 4 }, () => get(HOSTILE_PATH)),
    ]);
    const honest: number[] = [];
    for (let i = 0; i < 20; i++) honest.push((await get('/ok')).status);
    const answered = await attacks;
    expect(honest).toEqual(Array(20).fill(200));
    for (const a of answered) {
      expect(a.status).toBe(404);
      expect(JSON.parse(a.body).error.code).toBe('GW_ERR_NO_ROUTE');
    }
    // The same routes still match their honest values.
    expect((await get('/search', { 'x-tenant': 'aaaa' })).status).toBe(200);
    expect((await get('/files/aaaa')).status).toBe(200);
  });

  it('refuses to load a pattern that needs backtracking, naming where and why', async () => {
    const start = startGateway({
      config: {
        upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: upstreamPort }] }],
        routes: [{ id: 'echo', paths: ['/echo'], upstream: 'u', headers: [{ name: 'x-tenant', regex: '^(a+)\\1$' }] }],
      },
    });
    await expect(start).rejects.toThrow(/\/routes\/0\/headers\/0\/regex: back-references are not allowed/);
  }, 120_000);
});
