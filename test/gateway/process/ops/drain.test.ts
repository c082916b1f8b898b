import { Pool, request } from 'undici';
import { oneRoute, startUpstream, until, type Upstream } from '../../data-plane/proxy/harness';
import { startGateway, within, type RunningGateway } from '../../../../support/gateway-process';

const DEREGISTRATION_DELAY_MS = 700;
const CLIENTS = 6;

describe('graceful drain of a running node (SIGTERM to main.ts)', () => {
  let upstream: Upstream;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume();
      const delay = req.url?.startsWith('/long') ? 1_200 : req.url?.startsWith('/slow') ? 100 : 0;
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), delay);
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream.close();
  });

  it('causes zero failed client requests and exits 0', async () => {
    gateway = await startGateway({
      config: oneRoute([upstream.port], { id: 'all' }),
      env: { GATEHOUSE_DEREGISTRATION_DELAY_MS: String(DEREGISTRATION_DELAY_MS), GATEHOUSE_DRAIN_TIMEOUT_MS: '10000', GATEHOUSE_LOG_LEVEL: 'info' },
      readyTimeoutMs: 60_000,
    });
    const { child, proxyPort, statusPort } = gateway;
    const readyz = `http://127.0.0.1:${statusPort}/readyz`;
    const readyStatus = async () => {
      const res = await request(readyz);
      await res.body.dump();
      return res.statusCode;
    };
    await until(async () => (await readyStatus()) === 200, '/readyz 200', 30_000);

    // The test plays the load balancer: it sends while the node is in service, and stops sending new
    // requests once it has seen /readyz answer 503 (deregistration). Requests already sent must all succeed.
    const clients = new Pool(`http://127.0.0.1:${proxyPort}`, { connections: CLIENTS });
    let inService = true;
    let ok = 0;
    let okAfterSigterm = 0;
    let sigtermSent = false;
    const failures: string[] = [];
    const one = async (path: string): Promise<void> => {
      try {
        const res = await clients.request({ path, method: 'GET' });
        const body = await res.body.text();
        if (res.statusCode === 200 && body === 'ok') {
          ok++;
          if (sigtermSent) okAfterSigterm++;
        } else failures.push(`${path}: ${res.statusCode} ${body}`);
      } catch (err) {
        failures.push(`${path}: ${String(err)}`);
      }
    };
    const loop = async (n: number): Promise<void> => {
      for (let i = 0; inService; i++) await one((n + i) % 2 === 0 ? `/slow/${n}/${i}` : `/fast/${n}/${i}`);
    };
    const poller = (async () => {
      while (inService) {
        if ((await readyStatus()) === 503) inService = false;
        else await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const loops = Array.from({ length: CLIENTS }, (_, n) => loop(n));
    await until(() => ok >= 30, 'some traffic before the SIGTERM', 30_000);
    child.proc.kill('SIGTERM');
    sigtermSent = true;
    await poller;
    // A request the balancer sent just before deregistration: it outlives the deregistration delay.
    const long = one('/long');
    await Promise.all([...loops, long]);
    const code = await within(child.exited, 30_000, 'the gateway to exit');
    await clients.close();

    expect(failures).toEqual([]);
    expect(code).toBe(0);
    expect(okAfterSigterm).toBeGreaterThan(0);
    const messages = child.lines.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['draining: /readyz answers 503; still serving during the deregistration delay', 'drained']));
    expect(child.lines.find((l) => l.msg === 'drained')?.clean).toBe(true);
  });
});
