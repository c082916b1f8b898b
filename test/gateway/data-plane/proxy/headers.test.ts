import { IDENTITY_HEADERS } from '../../../../gateway/src/plugins/contract';
import { MAX_REQUEST_ID_LENGTH } from '../../../../gateway/src/data-plane/proxy';
import { oneRoute, send, startGateway, startUpstream, type Gateway, type Upstream } from './harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('proxy header rules', () => {
  let upstream: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'text/plain');
        res.setHeader('connection', 'keep-alive, x-upstream-private');
        res.setHeader('x-upstream-private', 'leak');
        res.setHeader('keep-alive', 'timeout=5');
        res.setHeader('proxy-authenticate', 'Basic realm="upstream"');
        res.setHeader('trailer', 'x-checksum');
        res.setHeader('upgrade', 'h2c');
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('x-request-id', 'upstream-chose-this');
        res.end('ok');
      });
    });
    gw = await startGateway(oneRoute([upstream.port]));
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  const lastSeen = () => upstream.seen[upstream.seen.length - 1];

  it('removes RFC 9110 hop-by-hop request headers and every header named in Connection', async () => {
    const res = await send(`${gw.origin}/h`, {
      method: 'POST',
      headers: {
        connection: 'keep-alive, X-Client-Private',
        'x-client-private': 'secret',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        trailer: 'x-sum',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'transfer-encoding': 'chunked',
        'x-kept': 'yes',
      },
      body: 'hello',
    });
    expect(res.status).toBe(200);
    const headers = lastSeen().headers;
    for (const name of ['x-client-private', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authorization'])
      expect(headers[name]).toBeUndefined();
    // The connection to the upstream is the gateway's own (undici keep-alive), whatever the client said.
    expect(headers.connection).toBe('keep-alive');
    expect(headers['x-kept']).toBe('yes');
  });

  it('removes hop-by-hop response headers and those the upstream names in Connection', async () => {
    const res = await send(`${gw.origin}/h`);
    expect(res.body).toBe('ok');
    for (const name of ['x-upstream-private', 'keep-alive', 'proxy-authenticate', 'trailer', 'upgrade']) expect(res.headers[name]).toBeUndefined();
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('strips identity headers a client tries to forge', async () => {
    const forged: Record<string, string> = {};
    for (const name of IDENTITY_HEADERS) forged[name] = 'admin';
    await send(`${gw.origin}/h`, { headers: { ...forged, 'X-Consumer-ID': 'admin' } });
    for (const name of IDENTITY_HEADERS) expect(lastSeen().headers[name]).toBeUndefined();
  });

  it('appends X-Forwarded-For and sets X-Forwarded-Proto, X-Forwarded-Host and Via', async () => {
    await send(`${gw.origin}/h`, { headers: { host: 'api.example.com', 'x-forwarded-for': '203.0.113.7', via: '1.0 edge' } });
    const h = lastSeen().headers;
    expect(h['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('api.example.com');
    expect(h.via).toBe('1.0 edge, 1.1 gatehouse');
  });

  it('replaces X-Forwarded-Proto and -Host sent by a peer that is not a trusted proxy', async () => {
    await send(`${gw.origin}/h`, { headers: { host: 'real.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'spoofed.example.com' } });
    expect(lastSeen().headers['x-forwarded-proto']).toBe('http');
    expect(lastSeen().headers['x-forwarded-host']).toBe('real.example.com');
  });

  it('keeps X-Forwarded-Proto and -Host set by a trusted load balancer in front', async () => {
    const behindLb = await startGateway(oneRoute([upstream.port]), { trustedProxies: '10.0.0.0/16, 127.0.0.1' });
    try {
      await send(`${behindLb.origin}/h`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example.com' } });
      expect(lastSeen().headers['x-forwarded-proto']).toBe('https');
      expect(lastSeen().headers['x-forwarded-host']).toBe('public.example.com');
    } finally {
      await behindLb.close();
    }
  });

  it('adds Via to responses', async () => {
    const res = await send(`${gw.origin}/h`);
    expect(res.headers.via).toBe('1.1 gatehouse');
  });

  it('passes a sane X-Request-Id through and returns it to the client', async () => {
    const res = await send(`${gw.origin}/h`, { headers: { 'x-request-id': 'abc-123.DEF:4' } });
    expect(lastSeen().headers['x-request-id']).toBe('abc-123.DEF:4');
    expect(res.headers['x-request-id']).toBe('abc-123.DEF:4');
  });

  it.each([
    ['a space', 'has space'],
    ['quotes', '"quoted"'],
    ['too long', 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1)],
  ])('replaces an X-Request-Id with %s by a generated one', async (_what, id) => {
    const res = await send(`${gw.origin}/h`, { headers: { 'x-request-id': id } });
    const sent = lastSeen().headers['x-request-id'] as string;
    expect(sent).toMatch(UUID);
    expect(res.headers['x-request-id']).toBe(sent);
  });

  it('generates an X-Request-Id when there is none', async () => {
    const res = await send(`${gw.origin}/h`);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(lastSeen().headers['x-request-id']).toBe(res.headers['x-request-id']);
  });

  it('passes traceparent and tracestate through unchanged', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await send(`${gw.origin}/h`, { headers: { traceparent, tracestate: 'congo=t61rcWkgMzE' } });
    expect(lastSeen().headers.traceparent).toBe(traceparent);
    expect(lastSeen().headers.tracestate).toBe('congo=t61rcWkgMzE');
  });

  it('sends the target host:port as Host', async () => {
    await send(`${gw.origin}/h`, { headers: { host: 'api.example.com' } });
    expect(lastSeen().headers.host).toBe(`127.0.0.1:${upstream.port}`);
  });

  it("sends the client's Host when the route preserves it", async () => {
    const other = await startGateway(oneRoute([upstream.port], { preserveHost: true }));
    try {
      await send(`${other.origin}/h`, { headers: { host: 'api.example.com' } });
      expect(lastSeen().headers.host).toBe('api.example.com');
    } finally {
      await other.close();
    }
  });

  it('forwards the query string unchanged', async () => {
    await send(`${gw.origin}/h/x?b=2&a=%20`);
    expect(lastSeen().url).toBe('/h/x?b=2&a=%20');
  });
});
