import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { oneRoute, send, startGateway, startUpstream, type Gateway, type Upstream } from '../proxy/harness';
import { h2Request, h2Session } from './h2-client';

const TLS = join(__dirname, '../../../fixtures/tls');

describe('HTTP/2 on the proxy port', () => {
  let upstream: Upstream;
  let gw: Gateway;

  beforeAll(async () => {
    upstream = await startUpstream();
    gw = await startGateway(oneRoute([upstream.port]), { accessLog: true });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('answers h2c with prior knowledge through the same pipeline (forwarded headers, request id, access log)', async () => {
    const session = await h2Session(gw.origin);
    const answer = await h2Request(session, { ':method': 'GET', ':path': '/echo/a?x=1', 'x-request-id': 'h2c-1', cookie: ['a=1', 'b=2'] });
    session.close();
    expect(answer.status).toBe(200);
    expect(answer.headers['x-request-id']).toBe('h2c-1');
    expect(answer.headers.via).toBe('1.1 gatehouse');
    const seen = JSON.parse(answer.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/echo/a?x=1');
    expect(seen.headers.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(seen.headers['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`);
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers.cookie).toBe('a=1; b=2');
    expect(Object.keys(seen.headers).filter((h) => h.startsWith(':'))).toEqual([]);
    expect(gw.accessLines.lines.find((l) => l.requestId === 'h2c-1')).toMatchObject({ method: 'GET', path: '/echo/a', status: 200 });
  });

  it('streams an h2 request body without a content-length to the HTTP/1.1 upstream', async () => {
    const session = await h2Session(gw.origin);
    const answer = await h2Request(session, { ':method': 'POST', ':path': '/upload' }, 'hello over h2');
    session.close();
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { body: string }).body).toBe('hello over h2');
  });

  it('multiplexes many streams on one connection', async () => {
    const session = await h2Session(gw.origin);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => h2Request(session, { ':method': 'GET', ':path': `/m/${i}` })));
    session.close();
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(answers.map((a) => (JSON.parse(a.body) as { url: string }).url)).toEqual(Array.from({ length: 50 }, (_, i) => `/m/${i}`));
  });

  it('answers gateway errors over h2 with the standard JSON and no connection headers', async () => {
    const session = await h2Session(gw.origin);
    const answer = await h2Request(session, { ':method': 'GET', ':path': '/../etc/passwd' });
    session.close();
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'GW_ERR_BAD_PATH' } });
  });

  it('refuses a Host that differs from :authority, as a duplicate Host', async () => {
    const session = await h2Session(gw.origin);
    const answer = await h2Request(session, { ':method': 'GET', ':path': '/x', ':authority': `127.0.0.1:${gw.port}`, host: 'other.example' });
    session.close();
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'GW_ERR_BAD_REQUEST' } });
  });

  it('keeps HTTP/1.1 working on the same port, including a POST whose first byte is the preface\'s', async () => {
    expect((await send(`${gw.origin}/plain`)).status).toBe(200);
    const post = await send(`${gw.origin}/plain`, { method: 'POST', body: 'p' });
    expect((JSON.parse(post.body) as { body: string }).body).toBe('p');
  });

  it('never honours Upgrade: h2c (the request is served as plain HTTP/1.1)', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: gw.port, path: '/h2c', headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQCAAAAAAIAAAAA' }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { headers: Record<string, string> }).headers.upgrade).toBeUndefined();
  });

  it('a draining node sends GOAWAY after the response, and the session ends', async () => {
    const drainGw = await startGateway(oneRoute([upstream.port]));
    const session = await h2Session(drainGw.origin);
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    drainGw.dataPlane.startDraining();
    const answer = await h2Request(session, { ':method': 'GET', ':path': '/last' });
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBeUndefined();
    await goaway;
    await new Promise<void>((resolve) => (session.closed ? resolve() : session.once('close', () => resolve())));
    await drainGw.close();
  });
});

describe('TLS on the proxy port (ALPN h2 and http/1.1)', () => {
  let upstream: Upstream;
  let gw: Gateway;
  const ca = readFileSync(join(TLS, 'ca.crt'));

  beforeAll(async () => {
    upstream = await startUpstream();
    gw = await startGateway(oneRoute([upstream.port]), { tls: { certFile: join(TLS, 'server.crt'), keyFile: join(TLS, 'server.key') } });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('speaks h2 to a client that offers it, with X-Forwarded-Proto https', async () => {
    const session = await h2Session(`https://localhost:${gw.port}`, { ca });
    expect(session.alpnProtocol).toBe('h2');
    const answer = await h2Request(session, { ':method': 'GET', ':path': '/tls' });
    session.close();
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { headers: Record<string, string> }).headers['x-forwarded-proto']).toBe('https');
  });

  it('speaks HTTP/1.1 to a client that does not offer h2', async () => {
    const { request } = await import('node:https');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: 'localhost', port: gw.port, path: '/tls1', ca, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect((JSON.parse(body) as { headers: Record<string, string> }).headers['x-forwarded-proto']).toBe('https');
  });
});

describe('curl, as the issue tried it', () => {
  it('curl --http2-prior-knowledge gets an HTTP/2 answer', async () => {
    const upstream = await startUpstream();
    const gw = await startGateway(oneRoute([upstream.port]));
    const { execFile } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) =>
      execFile('curl', ['-sS', '--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', `${gw.origin}/demo/`], (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(out).toBe('2 200');
    await gw.close();
    await upstream.close();
  });
});
