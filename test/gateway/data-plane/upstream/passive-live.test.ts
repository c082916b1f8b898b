/** Passive health against real upstreams, sending requests the way request handling does. */
import { SnapshotCompiler } from '../../../../gateway/src/data-plane/snapshot';
import type { AttemptOutcome, PickInput, UpstreamPool } from '../../../../gateway/src/data-plane/types';
import { validConfig } from '../snapshot/config';
import { startUpstream, waitFor, type TestUpstream } from './servers';

const REQUEST: PickInput = { clientIp: '127.0.0.1', path: '/', headers: {} };
const EJECT_MS = 300;

let compiler: SnapshotCompiler;
const servers: TestUpstream[] = [];
afterEach(async () => {
  await compiler.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** pick → begin → request → end(outcome), like the proxy; returns the target port or 'none'. */
async function send(pool: UpstreamPool): Promise<string> {
  const target = pool.pick(REQUEST);
  if (!target) return 'none';
  pool.begin(target);
  let outcome: AttemptOutcome = 'success';
  try {
    const res = await target.dispatcher.request({ origin: target.origin, path: '/', method: 'GET' });
    await res.body.dump();
    if (res.statusCode >= 500) outcome = 'server-error';
  } catch {
    outcome = 'connect-failure';
  }
  pool.end(target, outcome);
  return target.key.split(':')[1];
}

test('a failing target is ejected, probed once after ejectMs, and readmitted when it answers again', async () => {
  let aStatus = 500;
  const a = await startUpstream((_req, res) => {
    res.statusCode = aStatus;
    res.end();
  });
  const b = await startUpstream((_req, res) => res.end());
  servers.push(a, b);
  compiler = new SnapshotCompiler();
  const config = validConfig({
    upstreams: [
      {
        id: 'svc',
        targets: [
          { host: '127.0.0.1', port: a.port },
          { host: '127.0.0.1', port: b.port },
        ],
        healthChecks: { passive: { failures: 2, ejectMs: EJECT_MS } },
      },
    ],
    routes: [],
  });
  const pool = compiler.compile(config, { version: 1, checksum: 'c' }, undefined).upstream('svc')!;
  const A = String(a.port);
  const B = String(b.port);

  const first = [];
  for (let i = 0; i < 4; i++) first.push(await send(pool));
  expect(first).toEqual([A, B, A, B]);
  expect(pool.targets[0].healthy).toBe(false);
  const ejectedAt = Date.now();
  const whileEjected = [];
  for (let i = 0; i < 4; i++) whileEjected.push(await send(pool));
  if (Date.now() - ejectedAt < EJECT_MS) expect(whileEjected).toEqual([B, B, B, B]);

  aStatus = 200;
  const before = a.requests.length;
  await waitFor(() => pool.pick(REQUEST)?.key.endsWith(`:${A}`) === true, 'the half-open probe to be offered');
  // That pick claimed the probe; nobody else gets A until it reports back.
  expect(pool.pick(REQUEST)?.key.endsWith(`:${B}`)).toBe(true);
  const probe = pool.targets[0];
  pool.begin(probe);
  const res = await probe.dispatcher.request({ origin: probe.origin, path: '/', method: 'GET' });
  await res.body.dump();
  pool.end(probe, 'success');
  expect(probe.healthy).toBe(true);
  const after = [];
  for (let i = 0; i < 4; i++) after.push(await send(pool));
  expect(after.sort()).toEqual([A, A, B, B].sort());
  expect(a.requests.length - before).toBe(3);
});

test('a target that refuses connections is ejected and the other serves every request', async () => {
  const dead = await startUpstream((_req, res) => res.end());
  const deadPort = dead.port;
  await dead.close();
  const live = await startUpstream((_req, res) => res.end());
  servers.push(live);
  compiler = new SnapshotCompiler();
  const config = validConfig({
    upstreams: [
      {
        id: 'svc',
        targets: [
          { host: '127.0.0.1', port: deadPort },
          { host: '127.0.0.1', port: live.port },
        ],
        healthChecks: { passive: { failures: 1, ejectMs: 3_600_000 } },
      },
    ],
    routes: [],
  });
  const pool = compiler.compile(config, { version: 1, checksum: 'c' }, undefined).upstream('svc')!;
  const results = [];
  for (let i = 0; i < 6; i++) results.push(await send(pool));
  expect(results).toEqual([String(deadPort), ...new Array(5).fill(String(live.port))]);
  expect(compiler.targets.targets().map((t) => t.ejected)).toEqual([true, false]);
});
