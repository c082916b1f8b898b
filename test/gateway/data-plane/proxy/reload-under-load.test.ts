import { Pool } from 'undici';
import { startGateway, startUpstream, type Gateway, type Upstream } from './harness';

const RELOADS = 100;
const CLIENTS = 12;

/** Version i sends everything to upstream A or B (so targets are swapped and retired on every reload) and adds routes. */
function versionDoc(i: number, a: number, b: number): object {
  const port = i % 2 === 0 ? a : b;
  return {
    upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port }] }],
    routes: [
      { id: 'all', paths: ['/*'], upstream: 'backend' },
      ...Array.from({ length: i % 7 }, (_, k) => ({ id: `extra-${k}`, paths: [`/extra/${k}/*`], upstream: 'backend' })),
    ],
  };
}

describe('hot reload under continuous load', () => {
  let a: Upstream;
  let b: Upstream;
  let gw: Gateway;
  let client: Pool;

  beforeAll(async () => {
    const handler = (name: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      req.resume();
      // Some requests are slow, so they are in flight across several swaps.
      const delay = req.url?.startsWith('/slow') ? 30 : 0;
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(name), delay);
    };
    a = await startUpstream(handler('a'));
    b = await startUpstream(handler('b'));
    gw = await startGateway(versionDoc(0, a.port, b.port));
    client = new Pool(gw.origin, { connections: CLIENTS });
  });
  afterAll(async () => {
    await client.close();
    await gw.close();
    await a.close();
    await b.close();
  });

  it(`${RELOADS} reloads while ${CLIENTS} clients send requests: zero failed requests`, async () => {
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const loop = async (n: number): Promise<void> => {
      for (let i = 0; running; i++) {
        const path = (n + i) % 3 === 0 ? `/slow/${i}` : `/fast/${i}`;
        try {
          const res = await client.request({ path, method: i % 5 === 0 ? 'POST' : 'GET', body: i % 5 === 0 ? 'payload' : undefined });
          const body = await res.body.text();
          if (res.statusCode === 200 && (body === 'a' || body === 'b')) ok++;
          else failures.push(`${res.statusCode} ${body}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const loops = Array.from({ length: CLIENTS }, (_, n) => loop(n));
    for (let v = 1; v <= RELOADS; v++) {
      await new Promise((r) => setTimeout(r, 5));
      await gw.apply(versionDoc(v, a.port, b.port));
    }
    // Let requests run on the last version too.
    await new Promise((r) => setTimeout(r, 50));
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(gw.dataPlane.currentVersion).toBe(RELOADS + 1);
    expect(ok).toBeGreaterThan(RELOADS);
    // Both upstreams served, so requests really moved between pools as configs swapped.
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);
  });
});
