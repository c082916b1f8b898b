import { request } from 'node:http';
import { oneRoute, send, startGateway, startUpstream, until, type Gateway, type Upstream } from './harness';

describe('clients that go away', () => {
  let upstream: Upstream;
  let gw: Gateway;
  const upstreamAborts: string[] = [];

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      req.on('aborted', () => upstreamAborts.push(req.url ?? ''));
      res.on('close', () => {
        if (!res.writableFinished) upstreamAborts.push(`${req.url} (response)`);
      });
      if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('late'), 5_000).unref();
      req.on('end', () => res.writeHead(200).end('ok'));
      req.resume();
    });
    gw = await startGateway(oneRoute([upstream.port]), { accessLog: true });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  const inFlight = async () => /gatehouse_requests_in_flight (\d+)/.exec(await gw.metrics.registry.metrics())?.[1];

  it('a client that leaves while the upstream is thinking cancels the upstream request', async () => {
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/slow', agent: false, headers: { 'x-request-id': 'gone-1' } });
    req.on('error', () => undefined);
    req.end();
    await until(() => upstream.seen.some((s) => s.url === '/slow'), 'the upstream to receive the request');
    req.destroy();
    await until(() => upstreamAborts.includes('/slow (response)'), 'the upstream request to be cancelled');
    await until(() => gw.accessLines.lines.some((l) => l.requestId === 'gone-1'), 'the access line');
    expect(gw.accessLines.lines.find((l) => l.requestId === 'gone-1')!.status).toBe(499);
    await until(async () => (await inFlight()) === '0', 'in-flight to return to 0');
  });

  it('a client that leaves mid-upload cancels the upstream request, and the gateway keeps serving', async () => {
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/upload', method: 'POST', agent: false, headers: { 'content-length': 1_000_000 } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(10_000, 'a'));
    await until(() => upstream.seen.some((s) => s.url === '/upload'), 'the upstream to receive the request');
    req.destroy();
    await until(() => upstreamAborts.includes('/upload'), 'the upstream request to be cancelled');
    expect((await send(`${gw.origin}/after`)).status).toBe(200);
    await until(async () => (await inFlight()) === '0', 'in-flight to return to 0');
  });
});
