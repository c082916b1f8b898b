/**
 * The access log on stdout is written in batches (one write per many requests, not a syscall per
 * request): a line still appears within the flush interval when traffic is light, and every line
 * written before SIGTERM is on stdout when the process has exited.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startUpstream, until, type Upstream } from '../../data-plane/proxy/harness';
import { spawnGateway, within, type GatewayChild } from '../../../../support/gateway-process';

const ACCESS_LINE_WAIT_MS = 10_000; // the flush interval is 1 s; this bound only catches lines that never come

describe('access log on stdout', () => {
  let upstream: Upstream;
  let child: GatewayChild | undefined;
  let dir: string;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-access-'));
  });
  afterAll(async () => {
    child?.kill();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a lone request within the flush interval and every line by exit', async () => {
    const config = join(dir, 'gatehouse.yaml');
    writeFileSync(config, ['upstreams:', '  - id: app', `    targets: [{ host: 127.0.0.1, port: ${upstream.port} }]`, 'routes:', '  - id: all', '    paths: ["/*"]', '    upstream: app'].join('\n'));
    child = spawnGateway({
      env: {
        GATEHOUSE_ROLE: 'data-plane',
        GATEHOUSE_CONFIG: config,
        GATEHOUSE_PROXY_HOST: '127.0.0.1',
        GATEHOUSE_PROXY_PORT: '0',
        GATEHOUSE_STATUS_HOST: '127.0.0.1',
        GATEHOUSE_STATUS_PORT: '0',
        GATEHOUSE_DEREGISTRATION_DELAY_MS: '0',
        GATEHOUSE_DATA_DIR: join(dir, 'data'),
      },
    });
    const { proxyPort } = await within(child.started, 60_000, `the gateway to start (stderr: ${child.stderr})`);
    const access = (): Record<string, unknown>[] => child!.lines.filter((l) => l.log === 'access');
    const send = async (id: string): Promise<void> => {
      const res = await request(`http://127.0.0.1:${proxyPort}/x`, { headers: { 'x-request-id': id } });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    };

    await send('lone-1');
    await until(() => access().length === 1, 'the access line of a lone request', ACCESS_LINE_WAIT_MS);
    expect(access()[0]).toMatchObject({ requestId: 'lone-1', route: 'all', status: 200 });

    for (let i = 0; i < 20; i++) await send(`burst-${i}`);
    child.proc.kill('SIGTERM');
    expect(await within(child.exited, 30_000, 'the gateway to exit')).toBe(0);
    expect(access().map((l) => l.requestId)).toEqual(['lone-1', ...Array.from({ length: 20 }, (_, i) => `burst-${i}`)]);
  });
});
