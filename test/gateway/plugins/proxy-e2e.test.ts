/** The plugins through the real proxy: a gateway on port 0, real upstreams, real HTTP. */
import { request as httpRequest } from 'node:http';
import { createPluginRegistry, createPluginServices, type ClosablePluginServices } from '../../../gateway/src/plugins';
import { send, startGateway, startUpstream, type Gateway, type Upstream } from '../data-plane/proxy/harness';

const KEY = 'e2e-key-0123456789abcdef';

describe('plugins through the proxy', () => {
  let main: Upstream;
  let canary: Upstream;
  let gateway: Gateway;
  let services: ClosablePluginServices;

  beforeAll(async () => {
    main = await startUpstream();
    canary = await startUpstream();
    services = createPluginServices({});
    gateway = await startGateway(
      {
        upstreams: [
          { id: 'main', targets: [{ host: '127.0.0.1', port: main.port }] },
          { id: 'canary', targets: [{ host: '127.0.0.1', port: canary.port }] },
        ],
        consumers: [{ id: 'alice', username: 'Alice', plugins: { 'key-auth': { key: KEY } } }],
        plugins: { cors: { allowOrigins: ['https://app.example'] } },
        routes: [
          {
            id: 'private',
            paths: ['/private/*'],
            upstream: 'main',
            plugins: {
              'key-auth': {},
              'rate-limit': { limits: [{ count: 2, windowMs: 3_600_000 }], key: ['consumer'] },
              'response-headers': { set: { 'x-served-by': 'gatehouse' } },
            },
          },
          {
            id: 'query-key',
            paths: ['/q/*'],
            upstream: 'main',
            plugins: { 'key-auth': { query: 'apikey' } },
          },
          {
            id: 'upload',
            paths: ['/upload'],
            upstream: 'main',
            plugins: { 'request-size-limit': { maxBytes: 16 } },
          },
          {
            id: 'rewritten',
            paths: ['/old/*'],
            upstream: 'main',
            plugins: {
              'proxy-rewrite': { regex: { pattern: '^/old/(.*)$', replacement: '/new/$1' }, host: 'backend.internal' },
              'traffic-split': { rules: [{ match: [{ header: 'x-canary', value: '1' }], upstreams: [{ upstream: 'canary' }] }] },
            },
          },
        ],
      },
      { plugins: createPluginRegistry(services) },
    );
  });

  afterAll(async () => {
    await gateway.close();
    await services.close();
    await main.close();
    await canary.close();
  });

  it('answers 401 with the standard error body without a key, never reaching the upstream', async () => {
    const before = main.seen.length;
    const res = await send(`${gateway.origin}/private/a`);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'GW_ERR_UNAUTHORIZED', message: 'Authentication required.', requestId: expect.any(String) } });
    expect(main.seen.length).toBe(before);
  });

  it('forwards an authenticated request with the identity headers (a forged one is stripped) and without the key', async () => {
    const res = await send(`${gateway.origin}/private/a`, { headers: { 'x-api-key': KEY, 'x-consumer-id': 'root', 'x-consumer-username': 'root' } });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(seen.headers['x-consumer-id']).toBe('alice');
    expect(seen.headers['x-consumer-username']).toBe('Alice');
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(res.headers['x-served-by']).toBe('gatehouse');
    expect(res.headers['ratelimit-limit']).toBe('2');
    expect(res.headers['ratelimit-remaining']).toBe('1');
  });

  it('accepts a key in the query and never forwards it to the upstream', async () => {
    const res = await send(`${gateway.origin}/q/items?page=2&apikey=${KEY}&sort=name%20asc`);
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/q/items?page=2&sort=name%20asc');
    expect(seen.headers['x-consumer-id']).toBe('alice');
  });

  it('rate-limits the consumer with 429, Retry-After and the standard error body', async () => {
    await send(`${gateway.origin}/private/b`, { headers: { 'x-api-key': KEY } });
    const res = await send(`${gateway.origin}/private/c`, { headers: { 'x-api-key': KEY } });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['ratelimit-remaining']).toBe('0');
    expect(JSON.parse(res.body).error.code).toBe('GW_ERR_RATE_LIMITED');
  });

  it('answers a CORS preflight at the gateway (before auth) and adds CORS headers to responses', async () => {
    const before = main.seen.length;
    const preflight = await send(`${gateway.origin}/private/a`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(main.seen.length).toBe(before);
    const actual = await send(`${gateway.origin}/upload`, { method: 'POST', body: 'small', headers: { origin: 'https://app.example' } });
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('refuses a declared body over the size limit with 413', async () => {
    const res = await send(`${gateway.origin}/upload`, { method: 'POST', body: 'x'.repeat(17) });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('GW_ERR_PAYLOAD_TOO_LARGE');
  });

  it('caps a chunked body over the size limit while streaming', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: gateway.port, path: '/upload', method: 'POST', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('x'.repeat(10));
      setTimeout(() => req.end('y'.repeat(10)), 20);
    });
    expect(status).toBe(413);
  });

  it('rewrites path and host, and sends matching requests to the canary upstream', async () => {
    const res = await send(`${gateway.origin}/old/items?x=1`);
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/new/items?x=1');
    expect(seen.headers.host).toBe('backend.internal');
    const canaryBefore = canary.seen.length;
    const viaCanary = await send(`${gateway.origin}/old/items`, { headers: { 'x-canary': '1' } });
    expect(viaCanary.status).toBe(200);
    expect(canary.seen.length).toBe(canaryBefore + 1);
  });
});
