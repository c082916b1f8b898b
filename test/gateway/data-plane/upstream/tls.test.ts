import { SnapshotCompiler } from '../../../../gateway/src/data-plane/snapshot';
import type { Snapshot, TargetHandle } from '../../../../gateway/src/data-plane/types';
import { validConfig } from '../snapshot/config';
import { TEST_CA, startTlsUpstream, waitFor, type TestUpstream } from './servers';

let compiler: SnapshotCompiler;
let server: TestUpstream;

beforeAll(async () => {
  server = await startTlsUpstream((req, res) => res.end(`tls ${req.url}`));
});
afterAll(() => server.close());
beforeEach(() => {
  compiler = new SnapshotCompiler();
});
afterEach(() => compiler.close());

let version = 0;
function compile(host: string, tls: Record<string, unknown> | undefined, active?: Record<string, unknown>): Snapshot {
  const config = validConfig({
    upstreams: [
      {
        id: 'secure',
        scheme: 'https',
        targets: [{ host, port: server.port }],
        ...(tls ? { tls } : {}),
        ...(active ? { healthChecks: { active } } : {}),
      },
    ],
    routes: [],
  });
  return compiler.compile(config, { version: ++version, checksum: 'c' }, undefined);
}

const target = (s: Snapshot): TargetHandle => s.upstream('secure')!.targets[0];

async function get(t: TargetHandle): Promise<string> {
  const res = await t.dispatcher.request({ origin: t.origin, path: '/hello', method: 'GET' });
  return res.body.text();
}

test('an https upstream is reached with the CA given in tls.ca', async () => {
  const t = target(compile('127.0.0.1', { ca: TEST_CA }));
  expect(t.origin).toBe(`https://127.0.0.1:${server.port}`);
  await expect(get(t)).resolves.toBe('tls /hello');
});

test('without the CA the self-signed chain is refused', async () => {
  await expect(get(target(compile('127.0.0.1', undefined)))).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
});

test('tls.servername is sent as SNI and checked against the certificate', async () => {
  await expect(get(target(compile('127.0.0.1', { ca: TEST_CA, servername: 'upstream.test' })))).resolves.toBe('tls /hello');
  await expect(get(target(compile('127.0.0.1', { ca: TEST_CA, servername: 'wrong.test' })))).rejects.toThrow(/wrong\.test|altnames|Hostname/i);
});

test('the certificate name is checked against the target host by default', async () => {
  await expect(get(target(compile('localhost', { ca: TEST_CA })))).resolves.toBe('tls /hello');
});

test('rejectUnauthorized: false skips verification', async () => {
  await expect(get(target(compile('127.0.0.1', { rejectUnauthorized: false })))).resolves.toBe('tls /hello');
});

test('active health checks go through the same TLS settings', async () => {
  const before = server.requests.filter((r) => r.url === '/ready').length;
  const s = compile('127.0.0.1', { ca: TEST_CA, servername: 'upstream.test' }, { enabled: true, path: '/ready', intervalMs: 30, timeoutMs: 1_000 });
  await waitFor(() => server.requests.filter((r) => r.url === '/ready').length >= before + 2, 'two probes over TLS');
  const probe = server.requests.filter((r) => r.url === '/ready').pop()!;
  expect(probe.headers.host).toBe('upstream.test');
  expect(target(s).healthy).toBe(true);
});

test('the upstream connect timeout bounds the TLS handshake', async () => {
  const { createServer } = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket)); // accepts TCP, never speaks TLS
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const port = (silent.address() as import('node:net').AddressInfo).port;
    const config = validConfig({
      upstreams: [{ id: 'secure', scheme: 'https', targets: [{ host: '127.0.0.1', port }], tls: { ca: TEST_CA }, timeouts: { connectMs: 100 } }],
      routes: [],
    });
    const t = target(compiler.compile(config, { version: ++version, checksum: 'c' }, undefined));
    await expect(get(t)).rejects.toMatchObject({ code: 'UND_ERR_CONNECT_TIMEOUT' });
  } finally {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => silent.close(resolve));
  }
});
