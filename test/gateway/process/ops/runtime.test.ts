import { configChecksum } from '../../../../gateway/src/core/checksum';
import { oneRoute, send, startGateway, startUpstream, type Gateway, type Upstream } from '../../data-plane/proxy/harness';

const meta = (version: number, doc: object) => ({ version, checksum: configChecksum(doc), source: 'store' as const });

describe('DataPlane (config sink)', () => {
  let upstream: Upstream;
  let gw: Gateway;
  const good = () => oneRoute([upstream.port], { paths: ['/good/*'] });

  beforeEach(async () => {
    upstream = await startUpstream();
    gw = await startGateway();
  });
  afterEach(async () => {
    await gw.close();
    await upstream.close();
  });

  it('is not ready before the first config, and ready after it', async () => {
    expect(gw.dataPlane.ready).toBe(false);
    expect(gw.dataPlane.notReadyReason).toBe('no config loaded yet');
    expect(gw.dataPlane.currentVersion).toBeUndefined();
    expect(await gw.dataPlane.apply(good(), meta(3, good()))).toEqual({ applied: true, version: 3 });
    expect(gw.dataPlane.ready).toBe(true);
    expect(gw.dataPlane.currentVersion).toBe(3);
  });

  it('keeps the last good config when a new one is invalid, and logs every problem with its path', async () => {
    await gw.dataPlane.apply(good(), meta(1, good()));
    const bad = { upstreams: [{ id: 'u', targets: [] }], routes: [{ id: 'r', paths: ['/x'], upstream: 'missing', extra: 1 }] };
    const result = await gw.dataPlane.apply(bad, meta(2, bad));
    expect(result.applied).toBe(false);
    const problems = (result as unknown as { problems: { path: string }[] }).problems.map((p) => p.path);
    expect(problems).toEqual(expect.arrayContaining(['/upstreams/0/targets', '/routes/0']));
    expect(gw.dataPlane.currentVersion).toBe(1);
    expect((await send(`${gw.origin}/good/x`)).status).toBe(200);
    const line = gw.logs.lines.find((l) => String(l.msg).includes('config version 2 from store rejected (keeping version 1)'));
    expect(line).toBeDefined();
    expect(String(line!.msg)).toContain('/upstreams/0/targets');
    expect(String(line!.msg)).toContain('/routes/0');
    expect(line!.problems).toHaveLength(problems.length);
  });

  it('keeps the last good config when compiling fails (problems from the compiler)', async () => {
    await gw.dataPlane.apply(good(), meta(1, good()));
    const bad = oneRoute([upstream.port], { paths: ['/a/:id'], rewritePath: '/b/:nope' });
    const result = await gw.dataPlane.apply(bad, meta(2, bad));
    expect(result.applied).toBe(false);
    expect((result as unknown as { problems: { path: string }[] }).problems[0].path).toBe('/routes/0/rewritePath');
    expect(gw.dataPlane.currentVersion).toBe(1);
  });

  it('never applies a version that is not newer than the running one', async () => {
    await gw.dataPlane.apply(good(), meta(5, good()));
    const other = oneRoute([upstream.port], { paths: ['/other/*'] });
    expect(await gw.dataPlane.apply(other, meta(4, other))).toEqual({ applied: false, reason: 'version 4 is not newer than the running version 5' });
    expect(await gw.dataPlane.apply(other, meta(5, other))).toEqual({ applied: false, reason: 'version 5 is not newer than the running version 5' });
    expect((await send(`${gw.origin}/other/x`)).status).toBe(404);
  });

  it('applies concurrent applies one at a time, in order', async () => {
    const docs = [1, 2, 3].map((i) => oneRoute([upstream.port], { paths: [`/v${i}/*`] }));
    const results = await Promise.all(docs.map((d, i) => gw.dataPlane.apply(d, meta(i + 1, d))));
    expect(results.map((r) => r.applied)).toEqual([true, true, true]);
    expect(gw.dataPlane.currentVersion).toBe(3);
    expect((await send(`${gw.origin}/v3/x`)).status).toBe(200);
  });

  it('counts reload failures and exports the running version', async () => {
    await gw.dataPlane.apply(good(), meta(7, good()));
    await gw.dataPlane.apply({ routes: 'nope' }, meta(8, {}));
    const text = await gw.metrics.registry.metrics();
    expect(text).toContain('gatehouse_config_version 7');
    expect(text).toContain('gatehouse_config_reload_failures_total{source="store"} 1');
  });
});
