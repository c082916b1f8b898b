/**
 * Hostile clients, upgrades: an `Upgrade` header must never turn a route into a raw tunnel past its
 * checks. A real data plane process, raw sockets, and upstreams that would happily switch protocols.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startGateway, type RunningGateway } from '../../../../support/gateway-process';
import { startUpstream, waitFor, type TestUpstream } from '../../data-plane/upstream/servers';
import { rawConnect, statusOf } from './raw-client';

const KEY = 'alice-key-0123456789abcdef';
const WS_HEADERS = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

/** An upstream that answers `101` to any upgrade (h2c included) and then records every raw byte. */
interface SwitchingUpstream {
  readonly port: number;
  /** Raw bytes received after it switched protocols: what a smuggler gets past the gateway. */
  tunnelled: string;
  /** Request heads it answered as plain HTTP. */
  readonly plain: string[];
  close(): Promise<void>;
}

async function startSwitchingUpstream(): Promise<SwitchingUpstream> {
  const sockets = new Set<Socket>();
  const state = { tunnelled: '', plain: [] as string[] };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let switched = false;
    let buffered = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (switched) return void (state.tunnelled += chunk);
      buffered += chunk;
      let end: number;
      while (!switched && (end = buffered.indexOf('\r\n\r\n')) >= 0) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const upgrade = /^upgrade:\s*(\S+)/im.exec(head);
        if (upgrade) {
          switched = true;
          // `/wrong` paths switch to another protocol than the one asked for.
          const protocol = /^\S+ \S*wrong/.test(head) ? 'h2c' : upgrade[1];
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n\r\n`);
          state.tunnelled += buffered;
        } else {
          state.plain.push(head);
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))),
  });
}

let gateway: RunningGateway;
let plain: TestUpstream;
let switching: SwitchingUpstream;

beforeAll(async () => {
  plain = await startUpstream((req, res) => {
    req.resume();
    req.on('end', () => res.end(`seen ${req.url}`));
  });
  switching = await startSwitchingUpstream();
  const keyAuth = { 'key-auth': {} };
  gateway = await startGateway({
    config: {
      upstreams: [
        { id: 'plain', targets: [{ host: '127.0.0.1', port: plain.port }] },
        { id: 'switching', targets: [{ host: '127.0.0.1', port: switching.port }] },
      ],
      consumers: [{ id: 'alice', plugins: { 'key-auth': { key: KEY } } }],
      routes: [
        { id: 'private', paths: ['/private/*'], upstream: 'plain', plugins: keyAuth },
        { id: 'smuggle', paths: ['/switch/*'], upstream: 'switching', plugins: keyAuth },
        { id: 'ws-switching', paths: ['/ws-switch/*'], websocket: true, upstream: 'switching', plugins: keyAuth },
        { id: 'ws-plain', paths: ['/ws-plain/*'], websocket: true, upstream: 'plain', plugins: keyAuth },
      ],
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await plain?.close();
  await switching?.close();
});

beforeEach(() => {
  plain.requests.length = 0;
  switching.tunnelled = '';
  switching.plain.length = 0;
});

/** Sends `first`, waits for its whole answer, then sends `second` on the same connection and returns both answers. */
async function twoOnOneConnection(first: string, second: string): Promise<{ first: string; second: string }> {
  const conn = await rawConnect(gateway.proxyPort);
  try {
    conn.send(first);
    const one = await conn.until(/\r\n\r\n[\s\S]*(seen \S+|plain|"requestId":"[^"]+"\}\})/);
    conn.send(second);
    const both = await conn.until(/HTTP\/1\.1 \d{3}[\s\S]*HTTP\/1\.1 \d{3}[\s\S]*\r\n\r\n\{.*\}\}/);
    return { first: one, second: both.slice(one.length) };
  } finally {
    conn.close();
  }
}

const UNAUTHENTICATED = 'GET /private/second HTTP/1.1\r\nHost: gw\r\n\r\n';

test('Upgrade: websocket on a route without websocket: true is an ordinary request; the next request on the connection is checked again', async () => {
  const { first, second } = await twoOnOneConnection(`GET /private/first HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\n${WS_HEADERS}\r\n`, UNAUTHENTICATED);
  expect(statusOf(first)).toBe(200);
  expect(first).toContain('seen /private/first');
  expect(statusOf(second)).toBe(401);
  expect(plain.requests.map((r) => r.url)).toEqual(['/private/first']);
  // Upgrade is hop-by-hop: the upstream never learns the client asked for one.
  expect(plain.requests[0].headers.upgrade).toBeUndefined();
});

test('h2c (curl --http2) never gets a 101, even from an upstream that would switch: the Upgrade header is dropped', async () => {
  const h2c = `GET /switch/first HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`;
  const { first, second } = await twoOnOneConnection(h2c, 'GET /switch/second HTTP/1.1\r\nHost: gw\r\n\r\n');
  expect(statusOf(first)).toBe(200);
  expect(first).toContain('plain');
  expect(statusOf(second)).toBe(401);
  expect(switching.plain).toHaveLength(1);
  expect(switching.plain[0]).not.toMatch(/upgrade|http2-settings/i);
  expect(switching.tunnelled).toBe('');
});

test('an upgrade request with a body is replayed as a plain request: its body is read and pipelined requests are parsed', async () => {
  const conn = await rawConnect(gateway.proxyPort);
  try {
    conn.send(
      `POST /private/with-body HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nContent-Length: 5\r\n\r\nhello` + UNAUTHENTICATED,
    );
    const text = await conn.until(/HTTP\/1\.1 200[\s\S]*HTTP\/1\.1 401/);
    expect(text).toContain('seen /private/with-body');
    expect(plain.requests.map((r) => r.url)).toEqual(['/private/with-body']);
  } finally {
    conn.close();
  }
});

test('a WebSocket route whose upstream answers 200 instead of 101: the answer is relayed and the connection stays HTTP', async () => {
  const { first, second } = await twoOnOneConnection(`GET /ws-plain/first HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\n${WS_HEADERS}\r\n`, UNAUTHENTICATED);
  expect(statusOf(first)).toBe(200);
  expect(first).toContain('seen /ws-plain/first');
  expect(statusOf(second)).toBe(401);
  expect(plain.requests.map((r) => r.url)).toEqual(['/ws-plain/first']);
});

test('a WebSocket route runs its plugins on the handshake: no key, no tunnel', async () => {
  const conn = await rawConnect(gateway.proxyPort);
  try {
    conn.send(`GET /ws-switch/x HTTP/1.1\r\nHost: gw\r\n${WS_HEADERS}\r\n`);
    const text = await conn.until(/\r\n\r\n\{.*\}\}/);
    expect(statusOf(text)).toBe(401);
    expect(switching.tunnelled).toBe('');
    expect(switching.plain).toEqual([]);
  } finally {
    conn.close();
  }
});

test('an upstream that switches to another protocol than websocket opens no tunnel: 502', async () => {
  const conn = await rawConnect(gateway.proxyPort);
  try {
    conn.send(`GET /ws-switch/wrong HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\n${WS_HEADERS}\r\n`);
    const text = await conn.until(/\r\n\r\n\{.*\}\}/);
    expect(statusOf(text)).toBe(502);
    expect(text).toContain('GW_ERR_UPSTREAM_RESPONSE');
  } finally {
    conn.close();
  }
});

test('a WebSocket handshake with a key on a websocket route: the 101 opens the tunnel', async () => {
  const conn = await rawConnect(gateway.proxyPort);
  try {
    conn.send(`GET /ws-switch/x HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\n${WS_HEADERS}\r\n`);
    const text = await conn.until(/\r\n\r\n/);
    expect(statusOf(text)).toBe(101);
    expect(text).toMatch(/^upgrade: websocket$/im);
    conn.send('frames');
    await waitFor(() => switching.tunnelled === 'frames', 'the frames to reach the upstream');
  } finally {
    conn.close();
  }
});
