import { SnapshotCompiler } from '../../../../gateway/src/data-plane/snapshot';
import type { PickInput, Snapshot } from '../../../../gateway/src/data-plane/types';
import type { HealthChange } from '../../../../gateway/src/data-plane/upstream';
import { validConfig } from '../snapshot/config';
import { startUpstream, waitFor, type TestUpstream } from './servers';

const REQUEST: PickInput = { clientIp: '127.0.0.1', path: '/', headers: {} };
const INTERVAL_MS = 40;

interface Flippable {
  upstream: TestUpstream;
  status: number;
  hang: boolean;
}

async function flippable(): Promise<Flippable> {
  const f = { status: 200, hang: false } as Flippable;
  f.upstream = await startUpstream((req, res) => {
    if (req.url === '/health' && f.hang) return; // never answers; closed with the server
    res.statusCode = req.url === '/health' ? f.status : 200;
    res.end('ok');
  });
  return f;
}

let compiler: SnapshotCompiler;
let changes: HealthChange[];
const servers: TestUpstream[] = [];

beforeEach(() => {
  changes = [];
  compiler = new SnapshotCompiler({ onHealthChange: (c) => changes.push(c) });
});
afterEach(async () => {
  await compiler.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function compile(ports: number[], active: Record<string, unknown>, version = 1, passive: Record<string, unknown> = {}): Snapshot {
  const config = validConfig({
    upstreams: [
      {
        id: 'svc',
        targets: ports.map((port) => ({ host: '127.0.0.1', port })),
        healthChecks: {
          active: { enabled: true, path: '/health', intervalMs: INTERVAL_MS, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2, ...active },
          passive,
        },
      },
    ],
    routes: [],
  });
  return compiler.compile(config, { version, checksum: 'c' }, undefined);
}

const healthOf = (s: Snapshot, port: number) => s.upstream('svc')!.targets.find((t) => t.key === `127.0.0.1:${port}`)!.healthy;
const probes = (u: TestUpstream) => u.requests.filter((r) => r.url === '/health').length;

test('probes GET the path with a Host header, and a failing target leaves and rejoins the rotation', async () => {
  const a = await flippable();
  const b = await flippable();
  servers.push(a.upstream, b.upstream);
  const s = compile([a.upstream.port, b.upstream.port], {});
  await waitFor(() => probes(a.upstream) >= 1, 'a first probe');
  const probe = a.upstream.requests[0];
  expect(probe.method).toBe('GET');
  expect(probe.headers.host).toBe(`127.0.0.1:${a.upstream.port}`);
  expect(probe.headers['user-agent']).toBe('gatehouse-health-check');

  a.status = 503;
  await waitFor(() => !healthOf(s, a.upstream.port), 'a to turn unhealthy');
  const pool = s.upstream('svc')!;
  for (let i = 0; i < 5; i++) expect(pool.pick(REQUEST)!.key).toBe(`127.0.0.1:${b.upstream.port}`);
  expect(compiler.targets.targets().find((t) => t.target.endsWith(`:${a.upstream.port}`))).toMatchObject({ healthy: false, activeHealthy: false, ejected: false });

  a.status = 200;
  await waitFor(() => healthOf(s, a.upstream.port), 'a to turn healthy again');
  const keys = new Set(Array.from({ length: 4 }, () => pool.pick(REQUEST)!.key));
  expect(keys.size).toBe(2);
  expect(changes.map((c) => `${c.target.split(':')[1]} ${c.cause}`)).toEqual([`${a.upstream.port} active-unhealthy`, `${a.upstream.port} active-healthy`]);
  expect(changes[0].detail).toBe('status 503');
});

test('a probe that gets no answer within timeoutMs counts as a failure', async () => {
  const a = await flippable();
  servers.push(a.upstream);
  a.hang = true;
  const s = compile([a.upstream.port], { timeoutMs: 50 });
  await waitFor(() => !healthOf(s, a.upstream.port), 'a to turn unhealthy by timeouts');
  expect(changes[0]).toMatchObject({ cause: 'active-unhealthy', detail: 'no answer within 50 ms' });
  // Its only target is unhealthy: panic mode still sends requests there rather than answer 503.
  expect(s.upstream('svc')!.pick(REQUEST)?.key).toBe(`127.0.0.1:${a.upstream.port}`);
});

test('a refused connection counts as a failure', async () => {
  const a = await flippable();
  const port = a.upstream.port;
  await a.upstream.close();
  const s = compile([port], {});
  await waitFor(() => !healthOf(s, port), 'a closed port to turn unhealthy');
  expect(changes[0].cause).toBe('active-unhealthy');
});

test('healthyStatuses replaces the default 200-399 range', async () => {
  const a = await flippable();
  servers.push(a.upstream);
  const s = compile([a.upstream.port], { healthyStatuses: [204] });
  await waitFor(() => !healthOf(s, a.upstream.port), '200 to count as unhealthy when only 204 is listed');
  a.status = 204;
  await waitFor(() => healthOf(s, a.upstream.port), '204 to count as healthy');
});

test('thresholds: one failed probe is not enough when unhealthyThreshold is 3', async () => {
  const a = await flippable();
  servers.push(a.upstream);
  const s = compile([a.upstream.port], { unhealthyThreshold: 3 });
  await waitFor(() => probes(a.upstream) >= 1, 'a first probe');
  a.status = 500;
  const before = probes(a.upstream);
  await waitFor(() => probes(a.upstream) >= before + 2, 'two failed probes');
  // Two or three failures have been seen; only the third may flip it. Wait for the flip and count.
  await waitFor(() => !healthOf(s, a.upstream.port), 'a to turn unhealthy');
  expect(probes(a.upstream) - before).toBeGreaterThanOrEqual(3);
});

test('an active check that sees the target recover also clears a passive ejection', async () => {
  const a = await flippable();
  // A second, healthy target: passive health never ejects the last healthy one.
  const b = await flippable();
  servers.push(a.upstream, b.upstream);
  a.status = 503;
  const s = compile([a.upstream.port, b.upstream.port], {}, 1, { failures: 1, ejectMs: 3_600_000 });
  await waitFor(() => !healthOf(s, a.upstream.port), 'a to turn actively unhealthy');
  const pool = s.upstream('svc')!;
  const target = pool.targets[0];
  pool.begin(target);
  pool.end(target, 'connect-failure');
  expect(compiler.targets.targets()[0]).toMatchObject({ ejected: true, activeHealthy: false });
  a.status = 200;
  await waitFor(() => healthOf(s, a.upstream.port), 'a to be readmitted by the active check');
  expect(compiler.targets.targets()[0]).toMatchObject({ healthy: true, ejected: false, activeHealthy: true });
});

test('checks follow the active snapshot: disabling them stops the probes, closing the registry too', async () => {
  const a = await flippable();
  servers.push(a.upstream);
  compile([a.upstream.port], {});
  await waitFor(() => probes(a.upstream) >= 2, 'probes to run');
  compile([a.upstream.port], { enabled: false }, 2);
  const after = probes(a.upstream) + 1; // a probe may have been in flight at the switch
  await new Promise((r) => setTimeout(r, INTERVAL_MS * 5));
  expect(probes(a.upstream)).toBeLessThanOrEqual(after);

  compile([a.upstream.port], {}, 3);
  const resumed = probes(a.upstream);
  await waitFor(() => probes(a.upstream) >= resumed + 2, 'probes to resume');
  await compiler.close();
  const closed = probes(a.upstream) + 1;
  await new Promise((r) => setTimeout(r, INTERVAL_MS * 5));
  expect(probes(a.upstream)).toBeLessThanOrEqual(closed);
});

test('probes do not queue behind traffic when the pool is saturated', async () => {
  let release: (() => void) | undefined;
  const busy = await startUpstream((req, res) => {
    if (req.url === '/slow') release = () => res.end('slow');
    else res.end('ok');
  });
  servers.push(busy);
  const config = validConfig({
    upstreams: [
      {
        id: 'svc',
        poolSize: 1,
        targets: [{ host: '127.0.0.1', port: busy.port }],
        healthChecks: { active: { enabled: true, path: '/health', intervalMs: INTERVAL_MS, timeoutMs: 100, unhealthyThreshold: 1 } },
      },
    ],
    routes: [],
  });
  const s = compiler.compile(config, { version: 1, checksum: 'c' }, undefined);
  const t = s.upstream('svc')!.targets[0];
  const slow = t.dispatcher.request({ origin: t.origin, path: '/slow', method: 'GET' }).then((r) => r.body.text());
  await waitFor(() => release !== undefined, 'the slow request to hold the only pooled connection');
  const before = probes(busy);
  await waitFor(() => probes(busy) >= before + 3, 'three probes while the pool is busy');
  expect(t.healthy).toBe(true);
  expect(changes).toEqual([]);
  release!();
  await expect(slow).resolves.toBe('slow');
});
