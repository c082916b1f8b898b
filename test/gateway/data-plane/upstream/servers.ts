/** Real HTTP(S) upstreams on port 0 for upstream tests, and a bounded wait for conditions. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';

export interface TestUpstream {
  readonly port: number;
  /** Requests seen, in order. */
  readonly requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>;
  /** TCP (or TLS) connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'tls');

/** The test CA that signed the fixture server certificate. */
export const TEST_CA = readFileSync(join(FIXTURES, 'ca.crt'), 'utf8');

async function listen(server: Server, state: Omit<TestUpstream, 'port' | 'close'>): Promise<TestUpstream> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}

function recording(handler: Handler): { state: Omit<TestUpstream, 'port' | 'close'>; listener: Handler } {
  const state = { requests: [] as TestUpstream['requests'], connections: 0 };
  const listener: Handler = (req, res) => {
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  };
  return { state, listener };
}

/** Starts an HTTP upstream on 127.0.0.1, port 0. */
export async function startUpstream(handler: Handler): Promise<TestUpstream> {
  const { state, listener } = recording(handler);
  const server = createServer(listener);
  server.on('connection', () => state.connections++);
  return listen(server, state);
}

/** Starts an HTTPS upstream with the fixture certificate (names: upstream.test, localhost, 127.0.0.1). */
export async function startTlsUpstream(handler: Handler): Promise<TestUpstream> {
  const { state, listener } = recording(handler);
  const server = createTlsServer({ cert: readFileSync(join(FIXTURES, 'server.crt')), key: readFileSync(join(FIXTURES, 'server.key')) }, listener);
  server.on('secureConnection', () => state.connections++);
  return listen(server, state);
}

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
