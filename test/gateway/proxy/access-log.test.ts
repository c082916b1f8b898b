import { createAccessLogger } from '../../../gateway/src/data-plane';
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
});
