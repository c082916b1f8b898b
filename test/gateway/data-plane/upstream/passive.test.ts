import { compileSnapshot } from '../../../../gateway/src/data-plane/snapshot';
import type { PickInput, TargetHandle, UpstreamPool } from '../../../../gateway/src/data-plane/types';
import { TargetRegistry, type HealthChange } from '../../../../gateway/src/data-plane/upstream';
import { validConfig } from '../snapshot/config';

const REQUEST: PickInput = { clientIp: '127.0.0.1', path: '/', headers: {} };
const EJECT_MS = 1_000;

let clock = 0;
let changes: HealthChange[] = [];
let registry: TargetRegistry;

beforeEach(() => {
  clock = 1_000_000;
  changes = [];
  registry = new TargetRegistry({ now: () => clock, onHealthChange: (c) => changes.push(c) });
});
afterEach(() => registry.closeAll());

function upstream(passive: Record<string, unknown> = {}, ports = [9001, 9002], version = 1): UpstreamPool {
  const config = validConfig({
    upstreams: [
      {
        id: 'svc',
        targets: ports.map((port) => ({ host: '127.0.0.1', port })),
        timeouts: { connectMs: 100, requestMs: 400 },
        healthChecks: { passive: { failures: 3, ejectMs: EJECT_MS, ...passive } },
      },
    ],
    routes: [],
  });
  return compileSnapshot(config, { version, checksum: 'c' }, { targets: registry }).upstream('svc')!;
}

/** One full attempt: pick (excluding `exclude`), begin, end. */
function attempt(pool: UpstreamPool, outcome: 'success' | 'connect-failure' | 'timeout' | 'server-error', exclude?: Set<TargetHandle>) {
  const t = pool.pick(REQUEST, exclude);
  if (!t) throw new Error('no target picked');
  pool.begin(t);
  pool.end(t, outcome);
  return t;
}

function pickedKeys(pool: UpstreamPool, n: number): string[] {
  return Array.from({ length: n }, () => pool.pick(REQUEST)?.key ?? 'none');
}

const A = '127.0.0.1:9001';
const B = '127.0.0.1:9002';

test('a target is ejected after N consecutive failures of any kind', () => {
  const pool = upstream();
  const [a, b] = pool.targets;
  pool.begin(a);
  pool.end(a, 'connect-failure');
  pool.begin(a);
  pool.end(a, 'timeout');
  expect(a.healthy).toBe(true);
  pool.begin(a);
  pool.end(a, 'server-error');
  expect(a.healthy).toBe(false);
  expect(pool.pick(REQUEST, new Set([b]))).toBeUndefined();
  expect(changes).toEqual([{ upstream: 'svc', target: A, healthy: false, cause: 'ejected' }]);
});

test('a success resets the count of consecutive failures', () => {
  const pool = upstream({}, [9001]);
  const [a] = pool.targets;
  for (const outcome of ['timeout', 'timeout', 'success', 'timeout', 'timeout'] as const) {
    pool.begin(a);
    pool.end(a, outcome);
  }
  expect(a.healthy).toBe(true);
});

test('an ejected target gets no traffic; the others take it all', () => {
  const pool = upstream();
  const [a] = pool.targets;
  for (let i = 0; i < 3; i++) {
    pool.begin(a);
    pool.end(a, 'connect-failure');
  }
  expect(pickedKeys(pool, 6)).toEqual([B, B, B, B, B, B]);
});

test('after ejectMs exactly one half-open probe goes through; success readmits', () => {
  const pool = upstream();
  const [a] = pool.targets;
  for (let i = 0; i < 3; i++) {
    pool.begin(a);
    pool.end(a, 'connect-failure');
  }
  clock += EJECT_MS - 1;
  expect(pickedKeys(pool, 4)).toEqual([B, B, B, B]);
  clock += 1;
  const picked = pickedKeys(pool, 6);
  expect(picked.filter((k) => k === A)).toHaveLength(1);
  // While the probe runs, nothing else goes to A.
  expect(pickedKeys(pool, 6)).toEqual([B, B, B, B, B, B]);
  pool.begin(a);
  pool.end(a, 'success');
  expect(a.healthy).toBe(true);
  expect(pickedKeys(pool, 4).sort()).toEqual([A, A, B, B]);
  expect(changes.map((c) => c.cause)).toEqual(['ejected', 'readmitted']);
});

test('a failed probe ejects the target again for another ejectMs', () => {
  const pool = upstream();
  const [a, b] = pool.targets;
  const onlyA = new Set([b]);
  for (let i = 0; i < 3; i++) attempt(pool, 'timeout', onlyA);
  clock += EJECT_MS;
  expect(attempt(pool, 'server-error', onlyA)).toBe(a);
  expect(a.healthy).toBe(false);
  clock += EJECT_MS - 1;
  expect(pool.pick(REQUEST, onlyA)).toBeUndefined();
  clock += 1;
  expect(attempt(pool, 'success', onlyA)).toBe(a);
  expect(a.healthy).toBe(true);
  expect(changes.map((c) => c.cause)).toEqual(['ejected', 're-ejected', 'readmitted']);
});

test('a claimed probe that never reports back lapses after connect + request timeouts', () => {
  const pool = upstream();
  const onlyA = new Set([pool.targets[1]]);
  for (let i = 0; i < 3; i++) attempt(pool, 'timeout', onlyA);
  clock += EJECT_MS;
  expect(pool.pick(REQUEST, onlyA)).toBeDefined();
  expect(pool.pick(REQUEST, onlyA)).toBeUndefined();
  clock += 100 + 400 - 1;
  expect(pool.pick(REQUEST, onlyA)).toBeUndefined();
  clock += 1;
  expect(pool.pick(REQUEST, onlyA)).toBeDefined();
});

test('results of requests sent before the ejection do not readmit the target', () => {
  const pool = upstream();
  const [a, b] = pool.targets;
  pool.begin(a);
  pool.begin(a);
  for (let i = 0; i < 3; i++) attempt(pool, 'connect-failure', new Set([b]));
  pool.end(a, 'success');
  pool.end(a, 'success');
  expect(a.healthy).toBe(false);
  expect(a.inFlight).toBe(0);
});

test('an excluded target (already tried by this request) is skipped, and no target left means undefined', () => {
  const pool = upstream();
  const first = pool.pick(REQUEST)!;
  const second = pool.pick(REQUEST, new Set([first]))!;
  expect(second.key).not.toBe(first.key);
  expect(pool.pick(REQUEST, new Set([first, second]))).toBeUndefined();
});

test('passive health can be turned off', () => {
  const pool = upstream({ enabled: false }, [9001]);
  for (let i = 0; i < 10; i++) attempt(pool, 'connect-failure');
  expect(pool.targets[0].healthy).toBe(true);
  expect(changes).toEqual([]);
});

test('ejection and in-flight counts survive a recompile that keeps the target', () => {
  const first = upstream();
  const a = first.targets[0];
  first.begin(a);
  for (let i = 0; i < 3; i++) {
    first.begin(a);
    first.end(a, 'connect-failure');
  }
  const second = upstream({}, [9001, 9002], 2);
  expect(second.targets[0]).not.toBe(a);
  expect(second.targets[0].dispatcher).toBe(a.dispatcher);
  expect(second.targets[0].healthy).toBe(false);
  expect(second.targets[0].inFlight).toBe(1);
  expect(pickedKeys(second, 3)).toEqual([B, B, B]);
});

test('weight 0 drains a target: it is never picked', () => {
  const config = validConfig({
    upstreams: [{ id: 'svc', targets: [{ host: '127.0.0.1', port: 9001, weight: 0 }, { host: '127.0.0.1', port: 9002 }] }],
    routes: [],
  });
  const pool = compileSnapshot(config, { version: 1, checksum: 'c' }, { targets: registry }).upstream('svc')!;
  expect(pickedKeys(pool, 5)).toEqual([B, B, B, B, B]);
});

// Hostile clients: what any client can provoke must not take targets out of service.

test('a one-target upstream is never ejected: there is no healthy target to fail over to', () => {
  const pool = upstream({}, [9001]);
  for (let i = 0; i < 30; i++) attempt(pool, 'server-error');
  expect(pool.targets[0].healthy).toBe(true);
  expect(changes).toEqual([]);
});

test('never more than maxEjectionPercent of the targets (default 50) are ejected, and never the last healthy one', () => {
  const pool = upstream({}, [9001, 9002, 9003, 9004]);
  for (let i = 0; i < 100; i++) attempt(pool, 'connect-failure');
  expect(pool.targets.filter((t) => !t.healthy)).toHaveLength(2);
  const all = upstream({ maxEjectionPercent: 100 }, [9005, 9006, 9007]);
  for (let i = 0; i < 100; i++) attempt(all, 'connect-failure');
  expect(all.targets.filter((t) => t.healthy)).toHaveLength(1);
});

test('only the listed statuses count as failures: 500 does not by default, 502/503/504 do', () => {
  const pool = upstream();
  expect(pool.statusOutcome(500)).toBe('success');
  expect([502, 503, 504].map((s) => pool.statusOutcome(s))).toEqual(['server-error', 'server-error', 'server-error']);
  const custom = upstream({ statuses: [500] }, [9003, 9004]);
  expect(custom.statusOutcome(500)).toBe('server-error');
  expect(custom.statusOutcome(503)).toBe('success');
});

test('panic mode: when every target is unhealthy, requests spread over all of them instead of 503', () => {
  const pool = upstream({ maxEjectionPercent: 100 }, [9001, 9002]);
  const [a, b] = pool.targets;
  for (let i = 0; i < 3; i++) attempt(pool, 'connect-failure', new Set([b]));
  expect(a.healthy).toBe(false);
  // B is the last healthy target, so it stays in whatever it does.
  for (let i = 0; i < 10; i++) attempt(pool, 'connect-failure', new Set([a]));
  expect(b.healthy).toBe(true);
  (b as unknown as { state: { passive: { readmit(): void; ejectedUntil?: number } } }).state.passive.ejectedUntil = clock + EJECT_MS;
  expect(a.healthy || b.healthy).toBe(false);
  expect(pickedKeys(pool, 4).sort()).toEqual([A, A, B, B]);
  // A retry (targets excluded) does not panic: it only goes where health allows.
  expect(pool.pick(REQUEST, new Set([a]))).toBeUndefined();
});
