/** Compiling in slices: the event loop runs between slices, and the snapshot is the one a compile in one go gives. */
import { compileSnapshot, compileSnapshotInSlices } from '../../../../gateway/src/data-plane/snapshot';
import { TargetRegistry } from '../../../../gateway/src/data-plane/upstream';
import { validateConfig } from '../../../../gateway/src/config';

const routes = 3_000;
const raw = {
  upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }],
  routes: Array.from({ length: routes }, (_, i) => ({ id: `r${i}`, paths: [i % 2 ? `/s${i}/:id` : `/s${i}/*`], methods: i % 3 ? undefined : ['GET'], upstream: 'u' })),
};

describe('compiling in slices', () => {
  const targets = new TargetRegistry();
  afterAll(() => targets.closeAll());

  it('lets the event loop run between slices and builds the same router', async () => {
    const checked = validateConfig(raw);
    if (!checked.ok) throw new Error('invalid');
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    // A slice of 0 ms yields at every clock check: deterministic, no timing involved.
    const sliced = await compileSnapshotInSlices(checked.value, { version: 1, checksum: 'c' }, { targets }, 0);
    ticking = false;
    expect(turns).toBeGreaterThan(10);
    const whole = compileSnapshot(checked.value, { version: 2, checksum: 'c' }, { targets });
    for (const path of ['/s1/42', '/s2/a/b', '/s2999/x', '/nope']) {
      expect(sliced.match('GET', 'h', path, {})?.route.id).toBe(whole.match('GET', 'h', path, {})?.route.id);
      expect(sliced.match('POST', 'h', path, {})?.route.id).toBe(whole.match('POST', 'h', path, {})?.route.id);
    }
    expect(sliced.routeCount).toBe(routes);
  });

  it('reuses the plugin chains of unchanged routes from the snapshot it replaces, and rebuilds changed ones', async () => {
    const checked = validateConfig(raw);
    if (!checked.ok) throw new Error('invalid');
    const first = await compileSnapshotInSlices(checked.value, { version: 1, checksum: 'c' }, { targets });
    const changed = { ...checked.value.routes[1]!, paths: ['/changed'] };
    const next = { ...checked.value, routes: checked.value.routes.map((r, i) => (i === 1 ? changed : r)) };
    const second = await compileSnapshotInSlices(next, { version: 2, checksum: 'c' }, { targets, previous: first });
    expect(second.match('GET', 'h', '/s3/1', {})!.route.plugins).toBe(first.match('GET', 'h', '/s3/1', {})!.route.plugins);
    expect(second.match('GET', 'h', '/changed', {})!.route.id).toBe('r1');
    expect(second.match('GET', 'h', '/s1/1', {})).toBeUndefined();
    // A compiled route is never shared: it names its own snapshot's upstream pool.
    expect(second.match('GET', 'h', '/s3/1', {})!.route).not.toBe(first.match('GET', 'h', '/s3/1', {})!.route);
    expect(second.match('GET', 'h', '/s3/1', {})!.route.upstream).toBe(second.upstream('u'));
  });
});
