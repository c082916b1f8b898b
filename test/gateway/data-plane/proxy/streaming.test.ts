import { createHash } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { oneRoute, startGateway, startUpstream, until, type Gateway, type Upstream } from './harness';

const CHUNK = Buffer.alloc(64 * 1024, 'z');

describe('bodies stream both ways', () => {
  let upstream: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/interactive') {
        // Answers before the request body is complete, and reports each chunk as it arrives.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('started\n');
        req.on('data', (c: Buffer) => res.write(`got ${c.toString('utf8')}\n`));
        req.on('end', () => res.end('done\n'));
        return;
      }
      if (req.url === '/echo') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        req.pipe(res);
        return;
      }
      if (req.url?.startsWith('/download')) {
        req.resume();
        const total = 64 * 1024 * 1024;
        res.writeHead(200, { 'content-length': total });
        let left = total;
        const pump = (): void => {
          while (left > 0) {
            left -= CHUNK.length;
            if (!res.write(CHUNK)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      res.writeHead(404).end();
    });
    gw = await startGateway(oneRoute([upstream.port], {}, { timeouts: { requestMs: 30_000 } }));
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('the upstream answers before the request body is finished, and the client sees it before sending the rest', async () => {
    let response: IncomingMessage | undefined;
    let received = '';
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/interactive', method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      response = res;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (received += d));
    });
    req.flushHeaders();
    req.write('one');
    // Neither side is buffered: the upstream's first bytes and its view of chunk one arrive while the request is open.
    await until(() => received.includes('got one\n'), 'the first chunk to make the round trip');
    expect(response?.statusCode).toBe(200);
    expect(received.startsWith('started\n')).toBe(true);
    req.write('two');
    await until(() => received.includes('got two\n'), 'the second chunk to make the round trip');
    req.end();
    await until(() => received.endsWith('done\n'), 'the end of the response');
    expect(received).toBe('started\ngot one\ngot two\ndone\n');
  });

  it('a 32 MiB upload streams through and back unchanged', async () => {
    const size = 32 * 1024 * 1024;
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let gotBytes = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gw.port, path: '/echo', method: 'PUT', agent: false, headers: { 'content-length': size } }, (res) => {
        res.on('data', (c: Buffer) => {
          got.update(c);
          gotBytes += c.length;
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      let left = size;
      const pump = (): void => {
        while (left > 0) {
          const chunk = Buffer.alloc(Math.min(left, CHUNK.length), left % 251);
          left -= chunk.length;
          sent.update(chunk);
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(gotBytes).toBe(size);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
  });

  it('a 64 MiB download streams with backpressure to a slow reader', async () => {
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gw.port, path: '/download', agent: false }, (res) => {
        res.pause();
        // Read slowly at first: the gateway must hold back, not buffer the upstream's 64 MiB.
        setTimeout(() => res.resume(), 200);
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(bytes).toBe(64 * 1024 * 1024);
  });
});
