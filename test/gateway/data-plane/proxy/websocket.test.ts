import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { startGateway, until, type Gateway } from './harness';

describe('WebSocket upgrades', () => {
  let server: Server;
  let wss: WebSocketServer;
  let port: number;
  const handshakes: IncomingMessage[] = [];
  let gw: Gateway;

  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(426).end());
    wss = new WebSocketServer({ server });
    wss.on('connection', (socket, req) => {
      handshakes.push(req);
      socket.on('message', (data, binary) => socket.send(binary ? data : `echo:${data.toString()}`, { binary }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    gw = await startGateway({
      upstreams: [{ id: 'ws', targets: [{ host: '127.0.0.1', port }] }],
      routes: [{ id: 'chat', paths: ['/ws/*'], stripPrefix: true, websocket: true, upstream: 'ws' }],
    }, { accessLog: true });
  });
  afterAll(async () => {
    await gw.close();
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const open = (path: string, headers: Record<string, string> = {}) => new WebSocket(`ws://127.0.0.1:${gw.port}${path}`, { headers });

  it('proxies the handshake and messages both ways', async () => {
    const ws = open('/ws/chat?room=1', { 'x-consumer-id': 'forged', 'x-request-id': 'ws-1' });
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const replies: string[] = [];
      ws.on('message', (d) => replies.push(d.toString()));
      ws.send('hello');
      ws.send('again');
      await until(() => replies.length === 2, 'two echoes');
      expect(replies).toEqual(['echo:hello', 'echo:again']);
      const handshake = handshakes[handshakes.length - 1];
      expect(handshake.url).toBe('/chat?room=1');
      expect(handshake.headers['x-consumer-id']).toBeUndefined();
      expect(handshake.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(handshake.headers['x-request-id']).toBe('ws-1');
      expect(handshake.headers.host).toBe(`127.0.0.1:${port}`);
      // The same pipeline as any request: the handshake has its access line, and counts no more as in flight.
      await until(() => gw.accessLines.lines.some((l) => l.requestId === 'ws-1'), 'the access line of the handshake');
      expect(gw.accessLines.lines.find((l) => l.requestId === 'ws-1')).toMatchObject({ route: 'chat', status: 101 });
      expect(gw.dataPlane.inFlight).toBe(0);
    } finally {
      ws.close();
    }
  });

  it('carries binary frames', async () => {
    const ws = open('/ws/bin');
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const payload = Buffer.from([0, 1, 2, 250, 251, 252]);
      const reply = new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer)));
      ws.send(payload, { binary: true });
      expect(Buffer.compare(await reply, payload)).toBe(0);
    } finally {
      ws.close();
    }
  });

  it('answers an upgrade that matches no route with 404 GW_ERR_NO_ROUTE', async () => {
    const ws = open('/nowhere', { 'x-request-id': 'ws-404' });
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once('open', () => reject(new Error('should not open')));
    });
    expect(response.status).toBe(404);
    expect(response.body).toBe(JSON.stringify({ error: { code: 'GW_ERR_NO_ROUTE', message: 'No route matches this request.', requestId: 'ws-404' } }));
    // Ending a socket that never opened reports an error; that is expected here.
    ws.on('error', () => undefined);
    ws.terminate();
  });

  it('closing the client closes the upstream side', async () => {
    const ws = open('/ws/close');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await until(() => gw.tunnels.size >= 1, 'the tunnel to be tracked');
    const before = wss.clients.size;
    ws.terminate();
    await until(() => wss.clients.size < before, 'the upstream socket to close');
    await until(() => gw.tunnels.size === 0, 'the tunnel to be released');
  });
});

describe('WebSocket upgrades to a TLS upstream', () => {
  const fixtures = join(__dirname, '..', '..', '..', 'fixtures', 'tls');
  let server: HttpsServer;
  let wss: WebSocketServer;
  let port: number;
  const gateways: Gateway[] = [];

  beforeAll(async () => {
    server = createHttpsServer({ cert: readFileSync(join(fixtures, 'server.crt')), key: readFileSync(join(fixtures, 'server.key')) });
    wss = new WebSocketServer({ server });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`tls:${data.toString()}`)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const gatewayWith = async (ca: string) => {
    const gw = await startGateway({
      upstreams: [{ id: 'wss', scheme: 'https', tls: { ca, servername: 'upstream.test' }, targets: [{ host: '127.0.0.1', port }] }],
      routes: [{ id: 'secure', paths: ['/*'], websocket: true, upstream: 'wss' }],
    });
    gateways.push(gw);
    return gw;
  };

  it('verifies the upstream certificate against the configured CA and carries messages', async () => {
    const gw = await gatewayWith(readFileSync(join(fixtures, 'ca.crt'), 'utf8'));
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/secure`);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
      ws.send('hi');
      expect(await reply).toBe('tls:hi');
    } finally {
      ws.close();
    }
  });

  it('answers 502 GW_ERR_UPSTREAM_CONNECT when the certificate does not verify', async () => {
    // The server certificate itself is not a CA, so trusting only it fails verification.
    const gw = await gatewayWith(readFileSync(join(fixtures, 'server.crt'), 'utf8'));
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/secure`, { headers: { 'x-request-id': 'tls-1' } });
    const status = await new Promise<number>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('should not open')));
    });
    expect(status).toBe(502);
    ws.on('error', () => undefined);
    ws.terminate();
  });
});
