import { readFileSync } from 'node:fs';
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { closedPort, oneRoute, send, startGateway, until } from '../proxy/harness';
import { validateConfig } from '../../../../gateway/src/config';
import { h2Request, h2Session } from './h2-client';

const TLS = join(__dirname, '../../../fixtures/tls');

interface H2Upstream {
  readonly port: number;
  readonly seen: { path: string; version: string; authority: string | undefined }[];
  close(): Promise<void>;
}

async function startH2Upstream(tls: boolean, handler?: (req: Http2ServerRequest, res: Http2ServerResponse) => void): Promise<H2Upstream> {
  const seen: H2Upstream['seen'] = [];
  const onRequest = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
    seen.push({ path: req.url, version: req.httpVersion, authority: req.authority });
    if (handler) return handler(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream-version': req.httpVersion }).end(`h2:${Buffer.concat(chunks).toString()}`));
  };
  const sessions = new Set<ServerHttp2Session>();
  const track = (s: ServerHttp2Session): void => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  };
  let server: Http2Server | Http2SecureServer;
  if (tls) {
    const secure = createSecureServer({ cert: readFileSync(join(TLS, 'server.crt')), key: readFileSync(join(TLS, 'server.key')) }, onRequest);
    secure.on('session', track);
    server = secure;
  } else {
    const plain = createServer(onRequest);
    plain.on('session', track);
    server = plain;
  }
  await new Promise<void>((resolve) => (server as Http2Server).listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        (server as Http2Server).close(() => resolve());
      }),
  };
}

describe('HTTP/2 upstreams', () => {
  it('h2c: an HTTP/1.1 client is proxied to a cleartext HTTP/2 upstream, body and all, over one session', async () => {
    const up = await startH2Upstream(false);
    const gw = await startGateway(oneRoute([up.port], {}, { protocol: 'h2c' }));
    const answers = await Promise.all([1, 2, 3].map((i) => send(`${gw.origin}/c/${i}`, { method: 'POST', body: `b${i}` })));
    expect(answers.map((a) => a.body)).toEqual(['h2:b1', 'h2:b2', 'h2:b3']);
    expect(answers[0].headers['x-upstream-version']).toBe('2.0');
    expect(up.seen[0].authority).toBe(`127.0.0.1:${up.port}`);
    await gw.close();
    await up.close();
  });

  it('h2 over TLS (ALPN), checking the certificate against the configured CA and server name', async () => {
    const up = await startH2Upstream(true);
    const ca = readFileSync(join(TLS, 'ca.crt'), 'utf8');
    const gw = await startGateway(oneRoute([up.port], {}, { protocol: 'h2', scheme: 'https', tls: { ca, servername: 'upstream.test' } }));
    const session = await h2Session(gw.origin);
    const answer = await h2Request(session, { ':method': 'GET', ':path': '/tls' });
    session.close();
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('h2:');
    expect(up.seen[0].version).toBe('2.0');
    await gw.close();
    await up.close();
  });

  it('h2 refuses an upstream whose certificate does not verify (502, never plaintext)', async () => {
    const up = await startH2Upstream(true);
    const gw = await startGateway(oneRoute([up.port], {}, { protocol: 'h2', scheme: 'https', retries: 0 }));
    const answer = await send(`${gw.origin}/x`);
    expect(answer.status).toBe(502);
    expect(up.seen).toEqual([]);
    await gw.close();
    await up.close();
  });

  it('retries an idempotent request on another target when one is down, and passive health ejects it', async () => {
    const up = await startH2Upstream(false);
    const down = await closedPort();
    const gw = await startGateway(oneRoute([down, up.port], {}, { protocol: 'h2c', retries: 1, balancer: { algorithm: 'round-robin' } }));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await send(`${gw.origin}/r/${i}`)).status);
    expect(statuses).toEqual(Array(6).fill(200));
    expect(gw.dataPlane.snapshot!.upstream('u')!.targets.find((t) => t.key.endsWith(`:${down}`))!.healthy).toBe(false);
    await gw.close();
    await up.close();
  });

  it('active health checks probe over HTTP/2 and take a failing target out', async () => {
    let healthy = true;
    const up = await startH2Upstream(false, (req, res) => {
      if (req.url === '/healthz') return void res.writeHead(healthy ? 200 : 503).end();
      res.writeHead(200).end('ok');
    });
    const gw = await startGateway(
      oneRoute([up.port], {}, { protocol: 'h2c', healthChecks: { active: { enabled: true, intervalMs: 50, timeoutMs: 500, unhealthyThreshold: 1, healthyThreshold: 1 } } }),
    );
    const target = () => gw.dataPlane.snapshot!.upstream('u')!.targets[0];
    await until(() => up.seen.some((s) => s.path === '/healthz' && s.version === '2.0'), 'an HTTP/2 probe');
    healthy = false;
    await until(() => !target().healthy, 'the target to be marked unhealthy');
    healthy = true;
    await until(() => target().healthy, 'the target to recover');
    await gw.close();
    await up.close();
  });

  it('a stream the upstream refuses (REFUSED_STREAM) is retried on another target', async () => {
    const refusing = await startH2Upstream(false, (req) => req.stream.close(7 /* REFUSED_STREAM */));
    const good = await startH2Upstream(false);
    const gw = await startGateway(oneRoute([refusing.port, good.port], {}, { protocol: 'h2c', retries: 1, balancer: { algorithm: 'round-robin' } }));
    const statuses = await Promise.all([1, 2, 3, 4].map(async (i) => (await send(`${gw.origin}/s/${i}`)).status));
    expect(statuses).toEqual([200, 200, 200, 200]);
    await gw.close();
    await refusing.close();
    await good.close();
  });
});

describe('upstream protocol in the config', () => {
  const doc = (upstream: object) => ({ upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 1 }], ...upstream }], routes: [] });

  it('defaults to http1', () => {
    const result = validateConfig(doc({}));
    expect(result.ok && result.value.upstreams[0].protocol).toBe('http1');
  });

  it('refuses h2 without TLS and h2c with TLS, naming the fix', () => {
    expect((validateConfig(doc({ protocol: 'h2' })) as { problems: unknown }).problems).toEqual([
      { path: '/upstreams/0/protocol', message: 'protocol "h2" runs over TLS but scheme is "http".', fix: 'set scheme to "https", or use protocol "h2c" for cleartext HTTP/2.' },
    ]);
    expect((validateConfig(doc({ protocol: 'h2c', scheme: 'https' })) as { problems: unknown }).problems).toEqual([
      { path: '/upstreams/0/protocol', message: 'protocol "h2c" is cleartext HTTP/2 but scheme is "https".', fix: 'set scheme to "http", or use protocol "h2" for HTTP/2 over TLS.' },
    ]);
  });
});
