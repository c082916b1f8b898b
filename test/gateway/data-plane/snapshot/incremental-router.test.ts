/**
 * The router updated copy-on-write by change sets answers exactly like a router built from scratch:
 * random route sets and random change sequences (inserts anywhere, removals, edits that move a
 * route), checked on a fixed set of requests. Also: the snapshot a change set replaces keeps its
 * answers (requests in flight), unchanged routes keep their compiled form, and inserting many routes
 * into one gap (order keys running out of precision) still orders them by config position.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { diffDocuments, validateChanges, type GatewayConfig, type RouteConfig } from '../../../../gateway/src/config';
import { compileSnapshot, type RouteChanges } from '../../../../gateway/src/data-plane/snapshot';
import type { Snapshot } from '../../../../gateway/src/data-plane/types';
import { TargetRegistry } from '../../../../gateway/src/data-plane/upstream';
import { UPSTREAMS, validConfig } from './config';

const registry = new TargetRegistry();
afterAll(() => registry.closeAll());

/** A small deterministic PRNG (mulberry32), so a failure reproduces from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = ['/a', '/a/*', '/a/:x', '/a/b', '/a/b/*', '/a/:x/c', '/:p/b', '/*', '/b', '/b/:y/*', '~^/a/[0-9]+$', '~^/(?<w>[a-z]+)/b$'];
const HOSTS = [undefined, ['x.test'], ['*.test'], ['x.test', '*.y.test'], ['*.x.test']];
const METHODS = [undefined, ['GET'], ['POST'], ['GET', 'POST']];

let nextId = 0;
function randomRoute(rnd: () => number): Record<string, unknown> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const route: Record<string, unknown> = { id: `r${nextId++}`, upstream: 'u', paths: [pick(PATHS)], priority: Math.floor(rnd() * 3) };
  if (rnd() < 0.2) (route.paths as string[]).push(pick(PATHS));
  route.paths = [...new Set(route.paths as string[])];
  const hosts = pick(HOSTS);
  if (hosts) route.hosts = hosts;
  const methods = pick(METHODS);
  if (methods) route.methods = methods;
  if (rnd() < 0.15) route.headers = [{ name: 'x-v', value: '1' }];
  return route;
}

const REQUEST_PATHS = ['/a', '/a/', '/a/b', '/a/7', '/a/q', '/a/q/c', '/a/b/c', '/z/b', '/b', '/b/1/2', '/q', '/', '/a/b/c/d'];
const REQUEST_HOSTS = [undefined, 'x.test', 'X.TEST:8080', 'a.x.test', 'a.y.test', 'other.test', 'none.example'];
const REQUESTS: { method: string; host: string | undefined; path: string; headers: IncomingHttpHeaders }[] = [];
for (const path of REQUEST_PATHS)
  for (const host of REQUEST_HOSTS)
    for (const method of ['GET', 'POST'])
      for (const headers of [{}, { 'x-v': '1' }]) REQUESTS.push({ method, host, path, headers });

/** Every request's answer: route id and params, or '-' when none. */
function answers(s: Snapshot): string[] {
  return REQUESTS.map((r) => {
    const m = s.match(r.method, r.host, r.path, r.headers);
    return m ? `${m.route.id} ${JSON.stringify({ ...m.params })}` : '-';
  });
}

let version = 1;
function fromScratch(config: GatewayConfig): Snapshot {
  return compileSnapshot(config, { version: version++, checksum: 'scratch' }, { targets: registry });
}

/** Applies `next` to the snapshot of `base` the way the data plane does: change set, its validation, then a compile with the route changes. */
function updated(previous: Snapshot, base: GatewayConfig, next: GatewayConfig): { snapshot: Snapshot; config: GatewayConfig } {
  const set = diffDocuments(base, next)!;
  const validated = validateChanges(base, set);
  if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
  const config = validated.value;
  const plans = new Map(validated.routePlans);
  const routeChanges: RouteChanges = {
    removed: validated.previous.filter((p) => p.kind === 'route').map((p) => p.body as RouteConfig),
    added: validated.puts.filter((p) => p.kind === 'route').map((p) => plans.get(p.body as RouteConfig)!),
  };
  const snapshot = compileSnapshot(config, { version: version++, checksum: 'incremental' }, { targets: registry, previous, routeChanges });
  return { snapshot, config };
}

function document(routes: readonly unknown[]): GatewayConfig {
  return validConfig({ upstreams: UPSTREAMS, routes });
}

test('random change sequences: the updated router answers like one built from scratch, every step', () => {
  let compared = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const rnd = prng(seed);
    let config = document(Array.from({ length: 3 + Math.floor(rnd() * 20) }, () => randomRoute(rnd)));
    let snapshot = fromScratch(config);
    for (let step = 0; step < 25; step++) {
      const routes: unknown[] = [...config.routes];
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const op = rnd();
        const at = Math.floor(rnd() * (routes.length + 1));
        if (op < 0.4 || routes.length < 2) routes.splice(at, 0, randomRoute(rnd));
        else if (op < 0.65) routes.splice(at % routes.length, 1);
        else if (op < 0.85) {
          // An edit in place: same id, new body.
          const i = at % routes.length;
          routes[i] = { ...randomRoute(rnd), id: (routes[i] as { id: string }).id };
        } else {
          // A move: the same body at another position.
          const [moved] = routes.splice(at % routes.length, 1);
          routes.splice(Math.floor(rnd() * (routes.length + 1)), 0, moved);
        }
      }
      const before = answers(snapshot);
      const previous = snapshot;
      ({ snapshot, config } = updated(snapshot, config, document(routes)));
      expect({ seed, step, answers: answers(snapshot) }).toEqual({ seed, step, answers: answers(fromScratch(config)) });
      // The replaced snapshot is untouched: requests in flight on it get the answers they got before.
      expect(answers(previous)).toEqual(before);
      compared++;
    }
  }
  expect(compared).toBe(750);
});

test('a wide tree (hundreds of literal children under one node, hosts past the flat limit) updates like one built from scratch', () => {
  const rnd = prng(99);
  const wide = (i: number) => ({ id: `w${nextId++}`, upstream: 'u', paths: [i % 3 === 0 ? `/s${i}/*` : `/s${i}/:x`], ...(i % 4 === 0 ? { hosts: [`h${i}.test`] } : {}) });
  let config = document(Array.from({ length: 300 }, (_, i) => wide(i)));
  let snapshot = fromScratch(config);
  const requests = Array.from({ length: 320 }, (_, i) => [`/s${i}/a`, i % 4 === 0 ? `h${i}.test` : undefined] as const);
  const answer = (s: Snapshot) => requests.map(([p, h]) => s.match('GET', h, p, {})?.route.id ?? '-');
  for (let step = 0; step < 40; step++) {
    const routes: unknown[] = [...config.routes];
    const at = Math.floor(rnd() * routes.length);
    if (rnd() < 0.5) routes.splice(at, 1);
    else routes.splice(at, 0, wide(Math.floor(rnd() * 320)));
    const previous = snapshot;
    const before = answer(previous);
    ({ snapshot, config } = updated(snapshot, config, document(routes)));
    expect(answer(snapshot)).toEqual(answer(fromScratch(config)));
    expect(answer(previous)).toEqual(before);
  }
});

test('a change set shares the compiled form of every route it does not touch', () => {
  const base = document([
    { id: 'a', paths: ['/a'], upstream: 'u' },
    { id: 'b', paths: ['/b/*'], upstream: 'u' },
    { id: 'c', paths: ['/c/:x'], upstream: 'u' },
  ]);
  const s0 = fromScratch(base);
  const { snapshot: s1 } = updated(s0, base, document([base.routes[0], { id: 'n', paths: ['/n'], upstream: 'u' }, ...base.routes.slice(1)]));
  expect(s1.match('GET', undefined, '/a', {})!.route).toBe(s0.match('GET', undefined, '/a', {})!.route);
  expect(s1.match('GET', undefined, '/c/1', {})!.route).toBe(s0.match('GET', undefined, '/c/1', {})!.route);
  expect(s1.match('GET', undefined, '/n', {})!.route.id).toBe('n');
  expect(s0.match('GET', undefined, '/n', {})).toBeUndefined();
});

test('many inserts into one gap keep config order (order keys run out and the routes are renumbered)', () => {
  // Every inserted route has the same pattern and priority: config order alone decides, and each one goes in right after "first".
  let config = document([
    { id: 'first', paths: ['/other'], upstream: 'u' },
    { id: 'last', paths: ['/same'], upstream: 'u' },
  ]);
  let snapshot = fromScratch(config);
  for (let i = 0; i < 80; i++) {
    const routes = [config.routes[0], { id: `ins${i}`, paths: ['/same'], upstream: 'u' }, ...config.routes.slice(1)];
    ({ snapshot, config } = updated(snapshot, config, document(routes)));
    expect(snapshot.match('GET', undefined, '/same', {})!.route.id).toBe(`ins${i}`);
    expect(answers(snapshot)).toEqual(answers(fromScratch(config)));
  }
  // And removing the winner hands the path to the next one in config order.
  const routes = config.routes.filter((r) => r.id !== 'ins79');
  ({ snapshot, config } = updated(snapshot, config, document(routes)));
  expect(snapshot.match('GET', undefined, '/same', {})!.route.id).toBe('ins78');
});
