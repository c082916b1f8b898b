import { createAccessLogger } from '../../../../gateway/src/data-plane';
import { errorBody } from '../../../../gateway/src/core/errors';
import { createPluginRegistry } from '../../../../gateway/src/plugins';
import { LogLines, oneRoute, send, startGateway, startUpstream, until, type Gateway, type Upstream } from './harness';

const SECRETS = ['Bearer sup3r-s3cret-t0ken', 'session=c00kie-value', 'k3y-value-123', 'query-secret-456', 'Basic dXNlcjpwYXNz'];

describe('access log', () => {
  let upstream: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    upstream = await startUpstream();
    gw = await startGateway(oneRoute([upstream.port], { id: 'orders', paths: ['/orders/*'] }, {}), { accessLog: true });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('writes one JSON line per request with route, target, status, latency, request id, method, path and client ip', async () => {
    await send(`${gw.origin}/orders/42?token=query-secret-456`, { headers: { 'x-request-id': 'log-1' } });
    await until(() => gw.accessLines.lines.some((l) => l.requestId === 'log-1'), 'the access line');
    const line = gw.accessLines.lines.find((l) => l.requestId === 'log-1')!;
    expect(line).toMatchObject({
      log: 'access',
      requestId: 'log-1',
      route: 'orders',
      upstream: 'u',
      target: `127.0.0.1:${upstream.port}`,
      method: 'GET',
      path: '/orders/42',
      status: 200,
      clientIp: '127.0.0.1',
    });
    expect(typeof line.latencyMs).toBe('number');
  });

  it('logs unrouted requests with a null route', async () => {
    await send(`${gw.origin}/nothing-here`, { headers: { 'x-request-id': 'log-2' } });
    await until(() => gw.accessLines.lines.some((l) => l.requestId === 'log-2'), 'the access line');
    expect(gw.accessLines.lines.find((l) => l.requestId === 'log-2')).toMatchObject({ route: null, target: null, status: 404 });
  });

  it('never contains Authorization, cookies, API keys or query string values', async () => {
    const before = gw.accessLines.raw.length;
    await send(`${gw.origin}/orders/1?api_key=k3y-value-123&token=query-secret-456`, {
      headers: { authorization: SECRETS[0], cookie: SECRETS[1], 'x-api-key': SECRETS[2], 'proxy-authorization': SECRETS[4], 'x-request-id': 'log-3' },
    });
    await until(() => gw.accessLines.raw.length > before, 'the access line');
    const text = gw.accessLines.raw.join('\n') + gw.logs.raw.join('\n');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain('api_key');
  });

  it('redacts credential fields should a log call ever include headers', () => {
    const out = new LogLines();
    const logger = createAccessLogger(out);
    logger.info({ headers: { authorization: SECRETS[0], cookie: SECRETS[1], 'x-api-key': SECRETS[2], accept: 'text/plain' } });
    logger.info({ req: { headers: { authorization: SECRETS[0], cookie: SECRETS[1], apikey: SECRETS[2] } } });
    for (const secret of SECRETS) expect(out.raw.join('\n')).not.toContain(secret);
    expect(out.lines[0].headers).toEqual({ authorization: '[Redacted]', cookie: '[Redacted]', 'x-api-key': '[Redacted]', accept: 'text/plain' });
  });

  it('records the upstream latency, body bytes in and out, user agent and the caller\'s trace id', async () => {
    const body = 'x'.repeat(1234);
    await send(`${gw.origin}/orders/9`, {
      method: 'POST',
      body,
      headers: { 'x-request-id': 'log-4', 'user-agent': 'curl/8.5.0', traceparent: `00-${'a1'.repeat(16)}-${'b2'.repeat(8)}-01`, 'content-type': 'text/plain' },
    });
    await until(() => gw.accessLines.lines.some((l) => l.requestId === 'log-4'), 'the access line');
    const line = gw.accessLines.lines.find((l) => l.requestId === 'log-4')!;
    // The echo upstream answers with a JSON copy of the request: its exact length is the bytes out.
    const echoed = upstream.seen.find((s) => s.headers['x-request-id'] === 'log-4')!;
    expect(echoed).toBeDefined();
    expect(line).toMatchObject({ bytesIn: 1234, userAgent: 'curl/8.5.0', traceId: 'a1'.repeat(16), consumer: null, status: 200 });
    expect(line.bytesOut).toBeGreaterThan(1234);
    expect(typeof line.upstreamLatencyMs).toBe('number');
    expect(line.upstreamLatencyMs as number).toBeLessThanOrEqual(line.latencyMs as number);
  });

  it('records a request without a body and the gateway\'s own answer', async () => {
    await send(`${gw.origin}/nothing-here`, { headers: { 'x-request-id': 'log-5' } });
    await until(() => gw.accessLines.lines.some((l) => l.requestId === 'log-5'), 'the access line');
    const line = gw.accessLines.lines.find((l) => l.requestId === 'log-5')!;
    expect(line).toMatchObject({ bytesIn: 0, upstreamLatencyMs: null, traceId: null, userAgent: null, status: 404 });
    // The 404 body is the standard error JSON.
    expect(line.bytesOut).toBe(Buffer.byteLength(JSON.stringify(errorBody('GW_ERR_NO_ROUTE', 'log-5'))));
  });

  it('records the consumer an auth plugin identified', async () => {
    const auth = await startGateway(
      {
        ...oneRoute([upstream.port], { id: 'keyed', plugins: { 'key-auth': {} } }),
        consumers: [{ id: 'alice', plugins: { 'key-auth': { key: 'alice-key-0123456789' } } }],
      },
      { accessLog: true, plugins: createPluginRegistry() },
    );
    try {
      await send(`${auth.origin}/k`, { headers: { 'x-request-id': 'log-6', 'x-api-key': 'alice-key-0123456789' } });
      await send(`${auth.origin}/k`, { headers: { 'x-request-id': 'log-7' } });
      await until(() => auth.accessLines.lines.filter((l) => String(l.requestId).startsWith('log-')).length === 2, 'two access lines');
      expect(auth.accessLines.lines.find((l) => l.requestId === 'log-6')).toMatchObject({ consumer: 'alice', status: 200 });
      expect(auth.accessLines.lines.find((l) => l.requestId === 'log-7')).toMatchObject({ consumer: null, status: 401 });
    } finally {
      await auth.close();
    }
  });
});
