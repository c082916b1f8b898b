import { request } from 'undici';
import { oneRoute, startUpstream, until, type Upstream } from '../../data-plane/proxy/harness';
import { startGateway, within, type RunningGateway } from '../../../../support/gateway-process';

describe('worker processes (GATEHOUSE_WORKERS=2)', () => {
  let upstream: Upstream;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream.close();
  });

  it('the primary serves status for all workers, the workers share the proxy port, SIGTERM drains them all', async () => {
    // Workers share one listening port through the primary: startGateway gives a real free port, not 0.
    gateway = await startGateway({
      config: oneRoute([upstream.port], { id: 'all' }),
      env: { GATEHOUSE_WORKERS: '2', GATEHOUSE_DEREGISTRATION_DELAY_MS: '100', GATEHOUSE_LOG_LEVEL: 'info' },
      readyTimeoutMs: 60_000,
    });
    const { child, proxyPort, statusPort } = gateway;
    await within(until(() => child.lines.some((l) => l.msg === 'gatehouse primary started'), 'the primary', 60_000), 61_000, 'the primary');
    const get = async (url: string) => {
      const res = await request(url);
      return { status: res.statusCode, body: await res.body.text() };
    };
    await until(async () => (await get(`http://127.0.0.1:${statusPort}/readyz`)).status === 200, 'every worker to be ready', 60_000);
    expect(JSON.parse((await get(`http://127.0.0.1:${statusPort}/readyz`)).body)).toEqual({ status: 'ready', version: 1 });
    // A worker reports ready to the primary before its own start-up log line reaches our pipe.
    const workerPids = () => new Set(child.lines.filter((l) => l.msg === 'gatehouse started').map((l) => l.pid));
    await until(() => workerPids().size === 2, 'both workers to log their start', 30_000);
    expect(workerPids().size).toBe(2);

    for (let i = 0; i < 20; i++) expect(await get(`http://127.0.0.1:${proxyPort}/x/${i}`)).toEqual({ status: 200, body: 'ok' });
    const metrics = (await get(`http://127.0.0.1:${statusPort}/metrics`)).body;
    // Summed over both workers.
    expect(metrics).toContain('gatehouse_requests_total{route="all",status_class="2xx",code="200"} 20');
    expect(metrics).toContain('gatehouse_config_version 1');

    child.proc.kill('SIGTERM');
    expect(await within(child.exited, 30_000, 'the primary to exit')).toBe(0);
    expect(child.lines.filter((l) => l.msg === 'drained')).toHaveLength(2);
  });
});
