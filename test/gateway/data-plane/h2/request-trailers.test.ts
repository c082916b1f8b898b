/**
 * Request trailers from the client to the upstream: relayed to HTTP/2 upstreams (from HTTP/2 clients
 * and from HTTP/1.1 chunked requests), filtered by the same rules as request headers plus the fields
 * that can never be trailers; not sent to HTTP/1.1 upstreams (undici cannot send them).
 */
import { createServer, type Http2Server, type IncomingHttpHeaders } from 'node:http2';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { forwardRequestTrailers } from '../../../../gateway/src/data-plane/proxy/request-trailers';
import { startGateway, startUpstream, type Gateway, type Upstream } from '../proxy/harness';
import { h2Session } from './h2-client';

interface Seen {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | undefined;
  body: string;
}

/** An h2c upstream that records each request's headers, body and trailers. */
async function startH2Upstream(): Promise<{ server: Http2Server; port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer();
  server.on('stream', (stream, headers) => {
    const record: Seen = { headers, trailers: undefined, body: '' };
    stream.on('trailers', (t: IncomingHttpHeaders) => (record.trailers = t));
    stream.on('data', (c: Buffer) => (record.body += c.toString('utf8')));
    stream.on('end', () => {
      seen.push(record);
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** An h2c POST with `body` and then `trailers`; resolves with the response status and body. */
async function h2PostWithTrailers(origin: string, path: string, body: string, trailers: Record<string, string> | undefined): Promise<{ status: number; body: string }> {
  const session = await h2Session(origin);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'text/plain' }, { waitForTrailers: trailers !== undefined });
      if (trailers) stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      let status = 0;
      let answer = '';
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (c: Buffer) => (answer += c.toString('utf8')));
      stream.on('end', () => resolve({ status, body: answer }));
      stream.on('error', reject);
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

/** A raw HTTP/1.1 chunked POST whose trailer section is `trailerLines` (CRLF-separated, as written). */
function h1ChunkedPostWithTrailers(port: number, path: string, body: string, trailerLines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    // `Connection: close` in the request: the gateway closes once it answered.
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    const chunk = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n`;
    socket.write(`POST ${path} HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\nConnection: x-named, close\r\n\r\n${chunk}0\r\n${trailerLines.map((l) => `${l}\r\n`).join('')}\r\n`);
  });
}

/**
 * Trailers a client may send and that must never reach the upstream as trailers. (`content-length`
 * is refused by nghttp2 itself in an HTTP/2 trailer, `transfer-encoding` by node's HTTP/1.1 parser.)
 */
const REFUSED_H2 = {
  'x-consumer-id': 'admin',
  'x-credential-identifier': 'forged',
  authorization: 'Bearer forged',
  cookie: 'session=forged',
  'content-type': 'application/evil',
  host: 'evil.test',
  'x-forwarded-for': '6.6.6.6',
  via: '1.1 evil',
  'x-request-id': 'forged',
  'grpc-timeout': '99999S',
  x_consumer_id: 'admin',
};

describe('request trailers', () => {
  let h2up: Awaited<ReturnType<typeof startH2Upstream>>;
  let h1up: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    h2up = await startH2Upstream();
    h1up = await startUpstream();
    gw = await startGateway({
      upstreams: [
        { id: 'h2', protocol: 'h2c', targets: [{ host: '127.0.0.1', port: h2up.port }] },
        { id: 'h1', targets: [{ host: '127.0.0.1', port: h1up.port }] },
      ],
      routes: [
        { id: 'h2', paths: ['/h2/*'], upstream: 'h2' },
        { id: 'h1', paths: ['/h1/*'], upstream: 'h1' },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await h2up.close();
    await h1up.close();
  });

  it('an HTTP/2 client\'s trailers reach an h2c upstream as trailers, after the whole body', async () => {
    expect((await h2PostWithTrailers(gw.origin, '/h2/a', 'hello', { 'x-checksum': 'abc123', 'grpc-status-details-bin': 'AAEC' })).status).toBe(200);
    const seen = h2up.seen.at(-1)!;
    expect(seen.body).toBe('hello');
    expect(seen.trailers).toMatchObject({ 'x-checksum': 'abc123', 'grpc-status-details-bin': 'AAEC' });
    expect(seen.headers['x-checksum']).toBeUndefined();
  });

  it('identity headers, credentials, framing, routing and gateway-set fields are never relayed as trailers', async () => {
    expect((await h2PostWithTrailers(gw.origin, '/h2/b', 'x', { 'x-checksum': 'kept', ...REFUSED_H2 })).status).toBe(200);
    const trailers = h2up.seen.at(-1)!.trailers!;
    const names = Object.keys(trailers).filter((n) => !n.startsWith(':'));
    expect(names).toEqual(['x-checksum']);
  });

  it('a body without trailers still ends the upstream stream (no trailers, the body intact)', async () => {
    expect((await h2PostWithTrailers(gw.origin, '/h2/c', 'plain body', undefined)).status).toBe(200);
    const seen = h2up.seen.at(-1)!;
    expect(seen.body).toBe('plain body');
    expect(Object.keys(seen.trailers ?? {}).filter((n) => !n.startsWith(':'))).toEqual([]);
  });

  it('HTTP/1.1 chunked trailers reach an h2c upstream, without hop-by-hop or Connection-named fields', async () => {
    const answer = await h1ChunkedPostWithTrailers(gw.port, '/h2/d', 'chunked', [
      'X-Checksum: def456',
      'Connection: close',
      'Keep-Alive: timeout=5',
      'TE: trailers',
      'Host: evil.test',
      'Authorization: Bearer forged',
      'X-Forwarded-For: 6.6.6.6',
      'Upgrade: h2c',
      'Proxy-Authorization: Basic Zm9yZ2Vk',
      'X-Named: by-connection',
      'X-Consumer-Username: admin',
      'X-Consumer_Id: admin',
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    const seen = h2up.seen.at(-1)!;
    expect(seen.body).toBe('chunked');
    expect(Object.keys(seen.trailers!).filter((n) => !n.startsWith(':'))).toEqual(['x-checksum']);
    expect(seen.trailers!['x-checksum']).toBe('def456');
  });

  it('an HTTP/1.1 upstream gets the body and no trailers (undici cannot send them)', async () => {
    const answer = await h2PostWithTrailers(gw.origin, '/h1/e', 'to h1', { 'x-checksum': 'abc' });
    expect(answer.status).toBe(200);
    // The echo upstream answers with what it received.
    const seen = JSON.parse(answer.body) as { body: string; headers: Record<string, string> };
    expect(seen.body).toBe('to h1');
    expect(seen.headers['x-checksum']).toBeUndefined();
  });
});

describe('forwardRequestTrailers', () => {
  const policy = { maxHeaders: 4, underscores: false };

  it('drops pseudo-headers', () => {
    expect(forwardRequestTrailers([':path', '/admin', ':authority', 'evil', 'x-ok', '1'], undefined, policy)).toEqual({ 'x-ok': '1' });
  });

  it('joins repeated fields and lower-cases names', () => {
    expect(forwardRequestTrailers(['X-Sum', 'a', 'x-sum', 'b'], undefined, policy)).toEqual({ 'x-sum': 'a, b' });
  });

  it('relays none past the header count limit', () => {
    expect(forwardRequestTrailers(['a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5'], undefined, policy)).toBeUndefined();
  });

  it('keeps names with "_" only where the policy allows them, and never one spelling an identity header', () => {
    expect(forwardRequestTrailers(['x_tenant', 't', 'x_consumer_id', 'admin'], undefined, { maxHeaders: 4, underscores: true })).toEqual({ x_tenant: 't' });
    expect(forwardRequestTrailers(['x_tenant', 't'], undefined, policy)).toBeUndefined();
  });
});
