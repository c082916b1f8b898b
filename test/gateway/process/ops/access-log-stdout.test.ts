/**
 * The access log on stdout is written in batches (one write per many requests, not a syscall per
 * request): a line still appears within the flush interval when traffic is light, and every line
 * written before SIGTERM is on stdout when the process has exited.
 */
import { request } from 'undici';
import { oneRoute, startUpstream, until, type Upstream } from '../../data-plane/proxy/harness';
import { startGateway, within, type RunningGateway } from '../../../../support/gateway-process';

const ACCESS_LINE_WAIT_MS = 10_000; // the flush interval is 1 s; this bound only catches lines that never come

describe('access log on stdout', () => {
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

  it('shows a lone request within the flush interval and every line by exit', async () => {
    gateway = await startGateway({ config: oneRoute([upstream.port], { id: 'all' }), env: { GATEHOUSE_ACCESS_LOG: 'true' }, readyTimeoutMs: 60_000 });
    const { child, proxyPort } = gateway;
    const access = (): Record<string, unknown>[] => child.lines.filter((l) => l.log === 'access');
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
