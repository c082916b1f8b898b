/**
 * Hostile clients, request heads and resources: ambiguous heads are refused, forged identities never
 * reach upstreams, slow or greedy clients are bounded, and no anonymous client can take an
 * upstream's targets out of service. A real data plane process with tight limits, raw sockets.
 */
import type { IncomingMessage } from 'node:http';
import { startGateway, type RunningGateway } from '../../../../support/gateway-process';
import { startUpstream, waitFor, type TestUpstream } from '../../data-plane/upstream/servers';
import { rawConnect, rawExchange, statusOf } from './raw-client';

const KEY = 'alice-key-0123456789abcdef';
const BODY_TIMEOUT_MS = 600;
const MAX_CONNECTIONS = 12;
const MAX_HEADERS = 20;

let gateway: RunningGateway;
let a: TestUpstream;
let b: TestUpstream;
/** Requests whose body never completed, as the upstream saw them. */
const aborted: string[] = [];

function handler(req: IncomingMessage, res: import('node:http').ServerResponse): void {
  let complete = false;
  req.on('end', () => (complete = true));
  req.on('close', () => {
    if (!complete) aborted.push(req.url ?? '');
  });
  req.resume();
  req.on('end', () => {
    const status = req.url?.startsWith('/buggy/500') ? 500 : req.url?.startsWith('/buggy/502') ? 502 : 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
}

beforeAll(async () => {
  [a, b] = [await startUpstream(handler), await startUpstream(handler)];
  gateway = await startGateway({
    config: {
      upstreams: [
        {
          id: 'app',
          targets: [a, b].map((u) => ({ host: '127.0.0.1', port: u.port })),
          retries: 0,
          poolSize: 2,
          healthChecks: { passive: { failures: 3, ejectMs: 3_600_000 } },
        },
      ],
      consumers: [{ id: 'alice', username: 'alice', plugins: { 'key-auth': { key: KEY } } }],
      routes: [
        { id: 'public', hosts: ['public.example.com'], paths: ['/*'], upstream: 'app' },
        { id: 'internal', hosts: ['internal.example.com'], paths: ['/*'], preserveHost: true, upstream: 'app', plugins: { 'key-auth': {} } },
        { id: 'authed', paths: ['/authed/*'], upstream: 'app', plugins: { 'key-auth': {} } },
        { id: 'traceable', paths: ['/traceable/*'], methods: ['GET', 'TRACE'], upstream: 'app' },
        { id: 'any', paths: ['/*'], upstream: 'app' },
      ],
    },
    env: {
      GATEHOUSE_CLIENT_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
      GATEHOUSE_CLIENT_HEADER_TIMEOUT_MS: '1000',
      GATEHOUSE_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      GATEHOUSE_MAX_REQUEST_HEADERS: String(MAX_HEADERS),
    },
  });
});

afterAll(async () => {
  await gateway?.stop();
  await a?.close();
  await b?.close();
});

beforeEach(() => {
  a.requests.length = 0;
  b.requests.length = 0;
  aborted.length = 0;
});

const seen = (): TestUpstream['requests'] => [...a.requests, ...b.requests];
const send = (head: string): Promise<string> => rawExchange(gateway.proxyPort, head);

test('two Host headers: 400, and nothing reaches the upstream (routing and forwarding can never disagree)', async () => {
  const text = await send('GET /x HTTP/1.1\r\nHost: public.example.com\r\nHost: internal.example.com\r\nConnection: close\r\n\r\n');
  expect(statusOf(text)).toBe(400);
  expect(text).toContain('GW_ERR_BAD_REQUEST');
  expect(seen()).toEqual([]);
});

test('userinfo in Host: 400', async () => {
  const text = await send('GET /x HTTP/1.1\r\nHost: public.example.com@internal.example.com\r\nConnection: close\r\n\r\n');
  expect(statusOf(text)).toBe(400);
  expect(seen()).toEqual([]);
});

test('identity headers are stripped in every spelling; header names with _ are dropped', async () => {
  const text = await send(
    `GET /authed/x HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\nx_consumer_id: admin\r\nX-Consumer-ID: admin\r\nX_Consumer_Username: root\r\nx_custom: 1\r\nConnection: close\r\n\r\n`,
  );
  expect(statusOf(text)).toBe(200);
  const headers = seen()[0].headers;
  expect(headers['x-consumer-id']).toBe('alice');
  expect(headers['x-consumer-username']).toBe('alice');
  expect(Object.keys(headers).filter((n) => n.includes('_'))).toEqual([]);
});

test('TRACE: 405 unless the route lists it', async () => {
  const refused = await send('TRACE /x HTTP/1.1\r\nHost: gw\r\nCookie: session=secret\r\nConnection: close\r\n\r\n');
  expect(statusOf(refused)).toBe(405);
  expect(refused).toContain('GW_ERR_METHOD_NOT_ALLOWED');
  expect(seen()).toEqual([]);
  const listed = await send('TRACE /traceable/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
  expect(statusOf(listed)).toBe(200);
});

test(`more than ${MAX_HEADERS} header fields: 431`, async () => {
  const many = Array.from({ length: MAX_HEADERS }, (_, i) => `x-h${i}: ${i}\r\n`).join('');
  const text = await send(`GET /x HTTP/1.1\r\nHost: gw\r\n${many}Connection: close\r\n\r\n`);
  expect(statusOf(text)).toBe(431);
  expect(text).toContain('GW_ERR_HEADERS_TOO_LARGE');
  expect(seen()).toEqual([]);
});

test('a stalled request body: 408, the upstream request is aborted, and a request queued behind the stalled ones is served', async () => {
  // Two stalled bodies hold both connections of the upstream's pool of 2.
  const stalled = await Promise.all([0, 1].map(() => rawConnect(gateway.proxyPort)));
  stalled.forEach((c, i) => c.send(`POST /slow/${i} HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\nten bytes!`));
  const queued = send('GET /queued HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
  const answers = await Promise.all(stalled.map((c) => c.closed()));
  for (const text of answers) {
    expect(statusOf(text)).toBe(408);
    expect(text).toContain('GW_ERR_BODY_TIMEOUT');
  }
  expect(statusOf(await queued)).toBe(200);
  await waitFor(() => aborted.length === 2, 'both upstream requests to be aborted');
  expect(aborted.sort()).toEqual(['/slow/0', '/slow/1']);
});

test('a client that never finishes its request head is disconnected (slow loris)', async () => {
  const conn = await rawConnect(gateway.proxyPort);
  conn.send('GET /x HTTP/1.1\r\nHost: gw\r\nX-Slow: ');
  const text = await conn.closed();
  expect(text === '' || statusOf(text) === 408).toBe(true);
  expect(seen()).toEqual([]);
});

test(`connections past maxConnections (${MAX_CONNECTIONS}) are closed at once; the others keep working`, async () => {
  const open = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => rawConnect(gateway.proxyPort)));
  try {
    // The process counts a connection once it has accepted it; a request on each proves they are all in.
    for (const c of open) c.send('GET /held HTTP/1.1\r\nHost: gw\r\n\r\n');
    await Promise.all(open.map((c) => c.until(/\r\n0\r\n\r\n$/)));
    const extra = await rawConnect(gateway.proxyPort);
    extra.send('GET /extra HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
    expect(await extra.closed()).toBe('');
    open[0].send('GET /still-served HTTP/1.1\r\nHost: gw\r\n\r\n');
    await open[0].until(/still-served/);
  } finally {
    open.forEach((c) => c.close());
  }
  expect(seen().map((r) => r.url)).not.toContain('/extra');
  // The gateway counts a connection until it has seen it close: wait until there is room again.
  await waitForAsync(async () => statusOf(await send('GET /room HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n')) === 200);
});

test('anonymous clients cannot eject the targets: 500s do not count, and 502s eject at most half of them', async () => {
  for (let i = 0; i < 12; i++) expect(statusOf(await send(`GET /buggy/500/${i} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`))).toBe(500);
  for (let i = 0; i < 6; i++) expect(statusOf(await send(`GET /ok/${i} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`))).toBe(200);
  // Both targets still take traffic after the 500s.
  expect(new Set([a, b].filter((u) => u.requests.some((r) => r.url.startsWith('/ok/'))))).toEqual(new Set([a, b]));
  for (let i = 0; i < 30; i++) expect(statusOf(await send(`GET /buggy/502/${i} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`))).toBe(502);
  for (let i = 0; i < 6; i++) expect(statusOf(await send(`GET /after/${i} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`))).toBe(200);
});

async function waitForAsync(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}
