/** The upstream pool wires balancers to live target state: in-flight counts, weights, exclusions. */
import { compileSnapshot } from '../../../../gateway/src/data-plane/snapshot';
import type { PickInput, UpstreamPool } from '../../../../gateway/src/data-plane/types';
import { TargetRegistry } from '../../../../gateway/src/data-plane/upstream';
import { validConfig } from '../snapshot/config';

const registry = new TargetRegistry();
afterAll(() => registry.closeAll());

const input = (headers: PickInput['headers'] = {}, clientIp = '192.0.2.1'): PickInput => ({ clientIp, path: '/p', headers });

function pool(balancer: Record<string, unknown>, weights = [1, 1, 1]): UpstreamPool {
  const config = validConfig({
    upstreams: [{ id: 'svc', balancer, targets: weights.map((weight, i) => ({ host: '127.0.0.1', port: 7001 + i, weight })) }],
    routes: [],
  });
  return compileSnapshot(config, { version: 1, checksum: 'c' }, { targets: registry }).upstream('svc')!;
}

const port = (key: string | undefined) => key?.split(':')[1];

test('least-connections follows begin/end of the pool', () => {
  const p = pool({ algorithm: 'least-connections' }, [1, 1]);
  const a = p.pick(input())!;
  p.begin(a);
  const b = p.pick(input())!;
  expect(b).not.toBe(a);
  p.begin(b);
  p.begin(b);
  expect(p.pick(input())).toBe(a);
  p.end(b, 'success');
  p.end(b, 'success');
  p.end(a, 'success');
  expect(p.targets.map((t) => t.inFlight)).toEqual([0, 0]);
});

test('round robin through the pool honours weights over a cycle', () => {
  const p = pool({ algorithm: 'round-robin' }, [3, 1, 2]);
  const seen = Array.from({ length: 6 }, () => port(p.pick(input())?.key));
  expect(seen.filter((x) => x === '7001')).toHaveLength(3);
  expect(seen.filter((x) => x === '7002')).toHaveLength(1);
  expect(seen.filter((x) => x === '7003')).toHaveLength(2);
});

test('consistent hash on a cookie keeps a session on one target and moves it when that target is excluded', () => {
  const p = pool({ algorithm: 'consistent-hash', hashOn: 'cookie', hashKey: 'sid' });
  const req = input({ cookie: 'theme=dark; sid=abc123' });
  const home = p.pick(req)!;
  for (let i = 0; i < 5; i++) expect(p.pick(req)).toBe(home);
  const retry = p.pick(req, new Set([home]))!;
  expect(retry).not.toBe(home);
  expect(p.pick(req, new Set([home]))).toBe(retry);
});

test('consistent hash on the client IP', () => {
  const p = pool({ algorithm: 'consistent-hash', hashOn: 'client-ip' });
  const byIp = new Map<string, string>();
  for (let i = 0; i < 50; i++) byIp.set(`10.1.0.${i}`, p.pick(input({}, `10.1.0.${i}`))!.key);
  for (const [ip, key] of byIp) expect(p.pick(input({}, ip))!.key).toBe(key);
  expect(new Set(byIp.values()).size).toBe(3);
});

test('a pool with every target excluded answers undefined', () => {
  const p = pool({ algorithm: 'least-connections' }, [1, 1]);
  expect(p.pick(input(), new Set(p.targets))).toBeUndefined();
});
