import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startUpstream, until, type Upstream } from '../../data-plane/proxy/harness';
import { spawnGateway, within, type GatewayChild } from '../../../../support/gateway-process';
import { freePort } from '../../../../support/free-port';

describe('worker processes (GATEHOUSE_WORKERS=2)', () => {
  let upstream: Upstream;
  let child: GatewayChild | undefined;
  let dir: string;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-workers-'));
  });
  afterAll(async () => {
    child?.kill();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the primary serves status for all workers, the workers share the proxy port, SIGTERM drains them all', async () => {
    const config = join(dir, 'gatehouse.yaml');
    writeFileSync(config, `upstreams: [{ id: app, targets: [{ host: 127.0.0.1, port: ${upstream.port} }] }]\nroutes: [{ id: all, paths: ["/*"], upstream: app }]\n`);
    // Workers share one listening port through the primary, so it must be a real port, not 0.
    const proxyPort = await freePort();
    child = spawnGateway({
      env: {
        GATEHOUSE_ROLE: 'data-plane',
        GATEHOUSE_WORKERS: '2',
        GATEHOUSE_CONFIG: config,
        GATEHOUSE_PROXY_HOST: '127.0.0.1',
        GATEHOUSE_PROXY_PORT: String(proxyPort),
        GATEHOUSE_STATUS_HOST: '127.0.0.1',
        GATEHOUSE_STATUS_PORT: '0',
        GATEHOUSE_DEREGISTRATION_DELAY_MS: '100',
        GATEHOUSE_ACCESS_LOG: 'false',
        GATEHOUSE_DATA_DIR: join(dir, 'data'),
      },
    });
    await within(until(() => child!.lines.some((l) => l.msg === 'gatehouse primary started'), 'the primary', 60_000), 61_000, 'the primary');
    const statusPort = Number(child.lines.find((l) => l.msg === 'gatehouse primary started')!.statusPort);
    const get = async (url: string) => {
      const res = await request(url);
      return { status: res.statusCode, body: await res.body.text() };
    };
    await until(async () => (await get(`http://127.0.0.1:${statusPort}/readyz`)).status === 200, 'every worker to be ready', 60_000);
    expect(JSON.parse((await get(`http://127.0.0.1:${statusPort}/readyz`)).body)).toEqual({ status: 'ready', version: 1 });
    // A worker reports ready to the primary before its own start-up log line reaches our pipe.
    const workerPids = () => new Set(child!.lines.filter((l) => l.msg === 'gatehouse started').map((l) => l.pid));
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
