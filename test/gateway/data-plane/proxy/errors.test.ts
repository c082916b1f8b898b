import { closedPort, oneRoute, send, startGateway, startUpstream, type Gateway, type Upstream } from './harness';

const body = (code: string, message: string, requestId: string) => JSON.stringify({ error: { code, message, requestId } });

describe('error answers', () => {
  let upstream: Upstream;
  const gateways: Gateway[] = [];
  const gateway = async (doc?: object) => {
    const gw = await startGateway(doc);
    gateways.push(gw);
    return gw;
  };

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await upstream.close();
  });

  it('no config yet: 503 GW_ERR_NOT_READY', async () => {
    const gw = await gateway();
    const res = await send(`${gw.origin}/x`, { headers: { 'x-request-id': 'r1' } });
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toBe(body('GW_ERR_NOT_READY', 'The gateway has no config loaded yet.', 'r1'));
  });

  it('no route: 404 GW_ERR_NO_ROUTE', async () => {
    const gw = await gateway(oneRoute([upstream.port], { paths: ['/api/*'] }));
    const res = await send(`${gw.origin}/other`, { headers: { 'x-request-id': 'r2' } });
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toBe('r2');
    expect(res.body).toBe(body('GW_ERR_NO_ROUTE', 'No route matches this request.', 'r2'));
  });

  it('a path that climbs out of the root: 400 GW_ERR_BAD_PATH', async () => {
    const gw = await gateway(oneRoute([upstream.port]));
    const res = await send(`${gw.origin}/a/../../etc/passwd`, { headers: { 'x-request-id': 'r3' } });
    expect(res.status).toBe(400);
    expect(res.body).toBe(body('GW_ERR_BAD_PATH', 'The request path is invalid (it escapes the root or has bad percent-encoding).', 'r3'));
  });

  it('the same normalised path is used to route and to forward', async () => {
    const gw = await gateway(oneRoute([upstream.port], { paths: ['/public/*'] }));
    const ok = await send(`${gw.origin}/public/./a//b/%7euser`);
    expect(ok.status).toBe(200);
    expect(upstream.seen[upstream.seen.length - 1].url).toBe('/public/a/b/~user');
    const escaped = await send(`${gw.origin}/public/../admin`);
    expect(escaped.status).toBe(404);
  });

  it('connect failure: 502 GW_ERR_UPSTREAM_CONNECT, no internal detail', async () => {
    const port = await closedPort();
    const gw = await gateway(oneRoute([port], {}, { retries: 0 }));
    const res = await send(`${gw.origin}/x`, { headers: { 'x-request-id': 'r4' } });
    expect(res.status).toBe(502);
    expect(res.body).toBe(body('GW_ERR_UPSTREAM_CONNECT', 'The upstream service could not be reached.', 'r4'));
    expect(res.body).not.toContain(String(port));
    // The detail is in the log instead.
    expect(gw.logs.raw.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
  });

  it('upstream does not answer in time: 504 GW_ERR_UPSTREAM_TIMEOUT', async () => {
    const silent = await startUpstream(() => undefined);
    try {
      const gw = await gateway(oneRoute([silent.port], { timeouts: { requestMs: 200 } }, { retries: 0 }));
      const res = await send(`${gw.origin}/slow`, { headers: { 'x-request-id': 'r5' } });
      expect(res.status).toBe(504);
      expect(res.body).toBe(body('GW_ERR_UPSTREAM_TIMEOUT', 'The upstream service did not answer in time.', 'r5'));
    } finally {
      await silent.close();
    }
  });

  it('every target unhealthy: requests still go to them (panic mode) instead of 503 GW_ERR_NO_HEALTHY_TARGET', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const gw = await gateway(oneRoute([a, b], {}, { retries: 0, healthChecks: { passive: { failures: 1, ejectMs: 3_600_000, maxEjectionPercent: 100 } } }));
    for (let i = 0; i < 6; i++) expect((await send(`${gw.origin}/x`)).status).toBe(502);
    const res = await send(`${gw.origin}/x`, { headers: { 'x-request-id': 'r6' } });
    expect(res.status).toBe(502);
    expect(res.body).toBe(body('GW_ERR_UPSTREAM_CONNECT', 'The upstream service could not be reached.', 'r6'));
  });

  it('an upstream that dies mid-body cuts the client connection instead of sending a truncated success', async () => {
    const dying = await startUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part of it');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const gw = await gateway(oneRoute([dying.port]));
      await expect(send(`${gw.origin}/x`)).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    } finally {
      await dying.close();
    }
  });
});

describe('retries', () => {
  let good: Upstream;
  let silent: Upstream;
  const gateways: Gateway[] = [];

  beforeAll(async () => {
    good = await startUpstream();
    silent = await startUpstream(() => undefined);
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await good.close();
    await silent.close();
  });

  // Passive ejection stays off so that every request really meets the failing target first or second.
  const noEjection = { healthChecks: { passive: { enabled: false } } };

  it('retries idempotent requests on another target after a connect failure', async () => {
    const dead = await closedPort();
    const gw = await startGateway(oneRoute([dead, good.port], {}, { retries: 1, ...noEjection }));
    gateways.push(gw);
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'DELETE', 'GET', 'PUT']) {
      const res = await send(`${gw.origin}/idem`, { method });
      expect(res.status).toBe(200);
    }
  });

  it('retries on another target after a timeout before the response headers', async () => {
    const gw = await startGateway(oneRoute([silent.port, good.port], { timeouts: { requestMs: 150 } }, { retries: 1, ...noEjection }));
    gateways.push(gw);
    const before = silent.seen.length;
    for (let i = 0; i < 4; i++) expect((await send(`${gw.origin}/t`)).status).toBe(200);
    expect(silent.seen.length).toBeGreaterThan(before);
  });

  it('never retries a POST, nor a request with a body', async () => {
    const dead = await closedPort();
    const gw = await startGateway(oneRoute([dead, good.port], {}, { retries: 3, ...noEjection }));
    gateways.push(gw);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(`${gw.origin}/p`, { method: 'POST', body: 'x' })).status);
    for (let i = 0; i < 4; i++) statuses.push((await send(`${gw.origin}/p`, { method: 'PUT', body: 'x' })).status);
    // Round robin over the two targets: half the attempts meet the dead one and are not retried.
    expect(statuses.filter((s) => s === 502)).toHaveLength(4);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
  });

  it('does not retry when retries is 0', async () => {
    const dead = await closedPort();
    const gw = await startGateway(oneRoute([dead, good.port], {}, { retries: 0, ...noEjection }));
    gateways.push(gw);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(`${gw.origin}/g`)).status);
    expect(statuses.filter((s) => s === 502)).toHaveLength(2);
  });

  it('does not retry on the same target when it is the only one', async () => {
    const gw = await startGateway(oneRoute([silent.port], { timeouts: { requestMs: 150 } }, { retries: 2, ...noEjection }));
    gateways.push(gw);
    const before = silent.seen.length;
    expect((await send(`${gw.origin}/once`)).status).toBe(504);
    expect(silent.seen.length - before).toBe(1);
  });
});
