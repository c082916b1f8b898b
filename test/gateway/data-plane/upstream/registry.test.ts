import type { Dispatcher } from 'undici';
import { SnapshotCompiler } from '../../../../gateway/src/data-plane/snapshot';
import type { Snapshot, TargetHandle } from '../../../../gateway/src/data-plane/types';
import { validConfig } from '../snapshot/config';
import { startUpstream, waitFor, type TestUpstream } from './servers';

let compiler: SnapshotCompiler;
const servers: TestUpstream[] = [];

beforeEach(() => {
  compiler = new SnapshotCompiler();
});
afterEach(async () => {
  await compiler.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function upstream(handler?: Parameters<typeof startUpstream>[0]): Promise<TestUpstream> {
  const u = await startUpstream(handler ?? ((_req, res) => res.end('ok')));
  servers.push(u);
  return u;
}

let version = 0;
function compile(upstreams: Array<Record<string, unknown>>): Snapshot {
  const config = validConfig({
    upstreams,
    routes: upstreams.map((u) => ({ id: `r-${String(u.id)}`, paths: [`/${String(u.id)}/*`], upstream: u.id })),
  });
  return compiler.compile(config, { version: ++version, checksum: `c${version}` }, undefined);
}

const svc = (port: number, extra: Record<string, unknown> = {}) => ({ id: 'svc', targets: [{ host: '127.0.0.1', port }], ...extra });
const target = (s: Snapshot, id = 'svc'): TargetHandle => s.upstream(id)!.targets[0];

async function get(t: TargetHandle, path = '/'): Promise<string> {
  const res = await t.dispatcher.request({ origin: t.origin, path, method: 'GET' });
  return res.body.text();
}

/** Waits until every connection of the target's pool is back in the pool (undici frees it just after the body ends). */
async function settled(t: TargetHandle): Promise<void> {
  const stats = () => (t.dispatcher as unknown as { stats: { connected: number; free: number } }).stats;
  await waitFor(() => stats().connected > 0 && stats().free === stats().connected, 'the keep-alive connection to be free');
}

test('a recompile keeps the pool of an unchanged target, and its keep-alive connection', async () => {
  const u = await upstream();
  const s1 = compile([svc(u.port)]);
  expect(await get(target(s1))).toBe('ok');
  await settled(target(s1));
  const s2 = compile([svc(u.port), { id: 'other', targets: [{ host: '127.0.0.1', port: u.port }] }]);
  expect(target(s2).dispatcher).toBe(target(s1).dispatcher);
  compiler.release(s1, [s2]);
  expect(await get(target(s2))).toBe('ok');
  expect(u.connections).toBe(1);
  expect((target(s2).dispatcher as Dispatcher & { closed: boolean }).closed).toBe(false);
});

test('a change of pool settings makes a new pool; releasing the old snapshot closes the old one', async () => {
  const u = await upstream();
  const s1 = compile([svc(u.port)]);
  expect(await get(target(s1))).toBe('ok');
  const s2 = compile([svc(u.port, { poolSize: 4 })]);
  expect(target(s2).dispatcher).not.toBe(target(s1).dispatcher);
  expect(compiler.targets.targets()).toHaveLength(2);
  compiler.release(s1, [s2]);
  expect(compiler.targets.targets()).toHaveLength(1);
  await waitFor(() => (target(s1).dispatcher as Dispatcher & { closed: boolean }).closed, 'the old pool to close');
  expect(await get(target(s2))).toBe('ok');
});

test('every pool setting is part of the identity: timeouts, TLS and upstream id', () => {
  const base = compile([svc(9)]);
  const variants = [
    svc(9, { timeouts: { connectMs: 1_234 } }),
    svc(9, { timeouts: { requestMs: 1_234 } }),
    svc(9, { timeouts: { idleMs: 1_234 } }),
    svc(9, { scheme: 'https' }),
    svc(9, { scheme: 'https', tls: { servername: 'x.test' } }),
    { ...svc(9), id: 'renamed' },
  ];
  const dispatchers = new Set([target(base).dispatcher]);
  for (const v of variants) dispatchers.add(target(compile([v]), String(v.id)).dispatcher);
  expect(dispatchers.size).toBe(variants.length + 1);
  // Weight, balancer and health settings are not: they live in the snapshot.
  const same = compile([svc(9, { balancer: { algorithm: 'least-connections' }, healthChecks: { passive: { failures: 9 } } })]);
  expect(target(same).dispatcher).toBe(target(base).dispatcher);
});

test('release keeps targets that a live snapshot still uses', async () => {
  const u = await upstream();
  const s1 = compile([svc(u.port)]);
  const s2 = compile([svc(u.port, { poolSize: 2 })]);
  const s3 = compile([svc(u.port)]);
  compiler.release(s1, [s2, s3]);
  expect(target(s3).dispatcher).toBe(target(s1).dispatcher);
  expect(await get(target(s3))).toBe('ok');
  compiler.release(s2, [s3]);
  expect(compiler.targets.targets()).toHaveLength(1);
  expect(await get(target(s3))).toBe('ok');
});

test('a released pool lets a request in flight finish', async () => {
  let finish: (() => void) | undefined;
  const u = await upstream((req, res) => {
    if (req.url === '/slow') finish = () => res.end('slow done');
    else res.end('ok');
  });
  const s1 = compile([svc(u.port)]);
  const slow = get(target(s1), '/slow');
  await waitFor(() => finish !== undefined, 'the slow request to reach the upstream');
  const s2 = compile([svc(u.port, { poolSize: 3 })]);
  compiler.release(s1, [s2]);
  finish!();
  await expect(slow).resolves.toBe('slow done');
});

test('the pool opens at most poolSize connections to a target', async () => {
  const held: Array<() => void> = [];
  const u = await upstream((_req, res) => held.push(() => res.end('ok')));
  const s = compile([svc(u.port, { poolSize: 2 })]);
  const requests = [get(target(s)), get(target(s)), get(target(s))];
  await waitFor(() => held.length === 2, 'two requests to reach the upstream');
  expect(u.connections).toBe(2);
  held.shift()!();
  await waitFor(() => held.length === 2, 'the third request to reuse a connection');
  held.splice(0).forEach((f) => f());
  await expect(Promise.all(requests)).resolves.toEqual(['ok', 'ok', 'ok']);
  expect(u.connections).toBe(2);
});

test('targets() reports every open target for metrics', async () => {
  const u = await upstream();
  const s = compile([svc(u.port), { id: 'two', targets: [{ host: '127.0.0.1', port: 9 }, { host: 'localhost', port: 10 }] }]);
  s.upstream('svc')!.begin(target(s));
  expect(compiler.targets.targets()).toEqual([
    { upstream: 'svc', target: `127.0.0.1:${u.port}`, origin: `http://127.0.0.1:${u.port}`, healthy: true, ejected: false, activeHealthy: true, inFlight: 1 },
    { upstream: 'two', target: '127.0.0.1:9', origin: 'http://127.0.0.1:9', healthy: true, ejected: false, activeHealthy: true, inFlight: 0 },
    { upstream: 'two', target: 'localhost:10', origin: 'http://localhost:10', healthy: true, ejected: false, activeHealthy: true, inFlight: 0 },
  ]);
  s.upstream('svc')!.end(target(s), 'success');
  expect(compiler.targets.targets()[0].inFlight).toBe(0);
});

test('closeAll closes every pool', async () => {
  const u = await upstream();
  const s = compile([svc(u.port)]);
  expect(await get(target(s))).toBe('ok');
  await compiler.close();
  expect(compiler.targets.targets()).toEqual([]);
  expect((target(s).dispatcher as Dispatcher & { closed: boolean }).closed).toBe(true);
});

test('release of a snapshot this registry did not build is refused', () => {
  const other = new SnapshotCompiler();
  const foreign = other.compile(validConfig({ upstreams: [svc(9)], routes: [] }), { version: 1, checksum: 'c' }, undefined);
  expect(() => compiler.release(foreign, [])).toThrow('snapshot version 1 was not compiled with this target registry');
  return other.close();
});
