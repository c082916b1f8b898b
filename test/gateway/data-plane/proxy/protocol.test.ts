import { connect, type Socket } from 'node:net';
import { oneRoute, send, startGateway, startUpstream, until, type Gateway, type Upstream } from './harness';

/** A raw client connection that accumulates everything the gateway sends. */
class RawClient {
  readonly socket: Socket;
  data = '';
  ended = false;
  private constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => (this.data += d));
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('close', () => (this.ended = true));
  }
  static async open(port: number): Promise<RawClient> {
    const c = new RawClient(port);
    await new Promise<void>((resolve, reject) => {
      c.socket.once('connect', resolve);
      c.socket.once('error', reject);
    });
    return c;
  }
  write(text: string): void {
    this.socket.write(text, 'latin1');
  }
  close(): void {
    this.socket.destroy();
  }
}

describe('protocol edge cases', () => {
  let upstream: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '';
        if (url === '/no-content') {
          res.writeHead(204, { 'x-kind': 'no-content' });
          return res.end();
        }
        if (url === '/not-modified') {
          res.writeHead(304, { etag: '"v1"' });
          return res.end();
        }
        if (url === '/chunked') {
          // No Content-Length: chunked towards HTTP/1.1 clients.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('part one, ');
          return setTimeout(() => res.end('part two'), 20);
        }
        const body = req.method === 'HEAD' ? '' : `echo:${Buffer.concat(chunks).toString('utf8')}`;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': req.method === 'HEAD' ? '1234' : Buffer.byteLength(body) });
        res.end(body);
      });
    });
    gw = await startGateway(oneRoute([upstream.port]));
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('Expect: 100-continue: sends 100 Continue once routed, then streams the body', async () => {
    const c = await RawClient.open(gw.port);
    try {
      c.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
      await until(() => c.data.includes('HTTP/1.1 100 Continue\r\n\r\n'), '100 Continue');
      expect(c.data).not.toContain('200');
      c.write('hello');
      await until(() => c.data.includes('echo:hello'), 'the final answer');
      expect(c.data).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
      // The upstream never saw the Expect header: the gateway answered it.
      expect(upstream.seen[upstream.seen.length - 1].headers.expect).toBeUndefined();
    } finally {
      c.close();
    }
  });

  it('Expect: 100-continue on an unrouted request: the error comes without 100 Continue', async () => {
    await gw.apply({ ...oneRoute([upstream.port], { paths: ['/upload'] }) });
    const c = await RawClient.open(gw.port);
    try {
      c.write('POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
      await until(() => c.data.includes('GW_ERR_NO_ROUTE'), 'the 404');
      expect(c.data.startsWith('HTTP/1.1 404 Not Found\r\n')).toBe(true);
      expect(c.data).not.toContain('100 Continue');
      // The body never comes, so the connection cannot carry another request.
      expect(c.data.toLowerCase()).toContain('connection: close\r\n');
      await until(() => c.ended, 'the connection to close');
    } finally {
      c.close();
      await gw.apply(oneRoute([upstream.port]));
    }
  });

  it('HEAD: headers (with Content-Length) and no body', async () => {
    const c = await RawClient.open(gw.port);
    try {
      c.write('HEAD /thing HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await until(() => c.ended, 'the connection to close');
      // Both answers on one connection: the HEAD answer has no body, so the next one follows right away.
      const [head, next] = c.data.split(/(?=HTTP\/1\.1 200 OK)/);
      expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(head.toLowerCase()).toContain('content-length: 1234\r\n');
      expect(head.endsWith('\r\n\r\n')).toBe(true);
      expect(next).toContain('echo:');
    } finally {
      c.close();
    }
  });

  it.each([
    ['/no-content', 204, 'x-kind: no-content'],
    ['/not-modified', 304, 'etag: "v1"'],
  ])('%s answers %d with no body', async (path, status, header) => {
    const c = await RawClient.open(gw.port);
    try {
      c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      await until(() => c.ended, 'the connection to close');
      const [first, second] = c.data.split(/(?=HTTP\/1\.1 200 OK)/);
      expect(first.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
      expect(first.toLowerCase()).toContain(`${header}\r\n`);
      expect(first.toLowerCase()).not.toContain('transfer-encoding');
      expect(first.endsWith('\r\n\r\n')).toBe(true);
      expect(second).toContain('echo:');
    } finally {
      c.close();
    }
  });

  it('HTTP/1.0 client: no chunked encoding, the body ends with the connection', async () => {
    const c = await RawClient.open(gw.port);
    try {
      c.write('GET /chunked HTTP/1.0\r\nHost: x\r\n\r\n');
      await until(() => c.ended, 'the connection to close');
      expect(c.data.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
      expect(c.data.toLowerCase()).not.toContain('transfer-encoding');
      expect(c.data.toLowerCase()).toContain('connection: close\r\n');
      expect(c.data.endsWith('\r\n\r\npart one, part two')).toBe(true);
    } finally {
      c.close();
    }
  });

  it('HTTP/1.0 client with a Content-Length answer gets it and a closed connection', async () => {
    const c = await RawClient.open(gw.port);
    try {
      c.write('POST /x HTTP/1.0\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
      await until(() => c.ended, 'the connection to close');
      expect(c.data.toLowerCase()).toContain('content-length: 8\r\n');
      expect(c.data.endsWith('\r\n\r\necho:abc')).toBe(true);
    } finally {
      c.close();
    }
  });

  it('HTTP/1.1 client gets chunked encoding for a body without length', async () => {
    const res = await send(`${gw.origin}/chunked`);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.body).toBe('part one, part two');
  });
});
