import { configChecksum } from '../../../../gateway/src/core/checksum';
import { type PluginRegistry } from '../../../../gateway/src/plugins/contract';
import { type PluginChain } from '../../../../gateway/src/plugins/contract';
import type { PluginAnswer, RequestContext } from '../../../../gateway/src/plugins/contract';
import { send, startGateway, startUpstream, until, type Gateway, type Upstream } from './harness';

/** A registry with one test plugin, `probe`, whose config says what each phase does. */
function probeRegistry(logged: { id: string; status: number }[]): PluginRegistry {
  return {
    checker: {
      check: (_scope, name, config, path) =>
        name === 'probe' ? { ok: true, value: config } : { ok: false, problems: [{ path, message: `unknown plugin "${name}".`, fix: 'use probe.' }] },
    },
    factory: {
      forRoute(route): PluginChain {
        const conf = route.plugins?.probe as Record<string, unknown> | undefined;
        if (!conf) return { empty: true, rewrite: () => undefined, access: () => undefined, responseHeaders: () => undefined, log: () => undefined };
        return {
          empty: false,
          rewrite(ctx: RequestContext) {
            if (conf.rewriteTo) ctx.upstreamPath = String(conf.rewriteTo);
            if (conf.host) ctx.upstreamHost = String(conf.host);
            if (conf.override) ctx.upstreamOverride = String(conf.override);
            if (conf.maxBodyBytes !== undefined) ctx.maxBodyBytes = Number(conf.maxBodyBytes);
            ctx.headers['x-consumer-id'] = 'set-by-plugin';
            ctx.responseHeaders['x-probe'] = 'seen';
          },
          async access(ctx: RequestContext): Promise<PluginAnswer | void> {
            await new Promise((r) => setImmediate(r));
            if (conf.requireKey && ctx.headers['x-key'] !== 'open-sesame') return { status: 401, error: 'GW_ERR_UNAUTHORIZED', headers: { 'www-authenticate': 'Key' } };
            if (conf.teapot) return { status: 418, body: 'short and stout', headers: { 'content-type': 'text/plain' } };
            return undefined;
          },
          responseHeaders(_ctx, status, headers) {
            headers['x-upstream-status'] = String(status);
          },
          log(ctx, status) {
            logged.push({ id: ctx.requestId, status });
          },
        };
      },
    },
  };
}

describe('plugin phases in the proxy', () => {
  let main: Upstream;
  let other: Upstream;
  let gw: Gateway;
  const logged: { id: string; status: number }[] = [];

  beforeAll(async () => {
    main = await startUpstream();
    other = await startUpstream();
    gw = await startGateway(
      {
        upstreams: [
          { id: 'main', targets: [{ host: '127.0.0.1', port: main.port }] },
          { id: 'other', targets: [{ host: '127.0.0.1', port: other.port }] },
        ],
        routes: [
          { id: 'locked', paths: ['/locked/*'], upstream: 'main', plugins: { probe: { requireKey: true } } },
          { id: 'rewritten', paths: ['/rw/*'], upstream: 'main', plugins: { probe: { rewriteTo: '/v2/items', host: 'internal.example' } } },
          { id: 'split', paths: ['/split/*'], upstream: 'main', plugins: { probe: { override: 'other' } } },
          { id: 'teapot', paths: ['/tea'], upstream: 'main', plugins: { probe: { teapot: true } } },
          { id: 'small', paths: ['/small'], upstream: 'main', plugins: { probe: { maxBodyBytes: 10 } } },
        ],
      },
      { plugins: probeRegistry(logged), accessLog: true },
    );
  });
  afterAll(async () => {
    await gw.close();
    await main.close();
    await other.close();
  });

  it('an access answer is sent directly, with the standard error body and the plugin headers', async () => {
    const before = main.seen.length;
    const res = await send(`${gw.origin}/locked/a`, { headers: { 'x-request-id': 'p1' } });
    expect(res.status).toBe(401);
    expect(res.body).toBe(JSON.stringify({ error: { code: 'GW_ERR_UNAUTHORIZED', message: 'Authentication required.', requestId: 'p1' } }));
    expect(res.headers['www-authenticate']).toBe('Key');
    expect(res.headers['x-probe']).toBe('seen');
    expect(main.seen.length).toBe(before);
    expect(logged).toContainEqual({ id: 'p1', status: 401 });
  });

  it('a request that passes goes upstream with the headers plugins set; response phases run', async () => {
    const res = await send(`${gw.origin}/locked/a`, { headers: { 'x-key': 'open-sesame', 'x-request-id': 'p2' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-probe']).toBe('seen');
    expect(res.headers['x-upstream-status']).toBe('200');
    expect(main.seen[main.seen.length - 1].headers['x-consumer-id']).toBe('set-by-plugin');
    expect(logged).toContainEqual({ id: 'p2', status: 200 });
  });

  it('honours upstreamPath and upstreamHost', async () => {
    await send(`${gw.origin}/rw/anything?q=1`);
    const seen = main.seen[main.seen.length - 1];
    expect(seen.url).toBe('/v2/items?q=1');
    expect(seen.headers.host).toBe('internal.example');
  });

  it('honours upstreamOverride, and the access log names the upstream really used', async () => {
    const before = other.seen.length;
    expect((await send(`${gw.origin}/split/x`, { headers: { 'x-request-id': 'split-1' } })).status).toBe(200);
    expect(other.seen.length).toBe(before + 1);
    await until(() => gw.accessLines.lines.some((l) => l.requestId === 'split-1'), 'the access line');
    expect(gw.accessLines.lines.find((l) => l.requestId === 'split-1')).toMatchObject({ route: 'split', upstream: 'other', target: `127.0.0.1:${other.port}` });
  });

  it('answers a custom plugin body', async () => {
    const res = await send(`${gw.origin}/tea`);
    expect(res.status).toBe(418);
    expect(res.body).toBe('short and stout');
    expect(res.headers['content-type']).toBe('text/plain');
  });

  it('maxBodyBytes: a declared length over the cap gets 413, streamed bodies are cut at the cap', async () => {
    const declared = await send(`${gw.origin}/small`, { method: 'POST', body: 'x'.repeat(11), headers: { 'x-request-id': 'p3' } });
    expect(declared.status).toBe(413);
    expect(declared.body).toBe(JSON.stringify({ error: { code: 'GW_ERR_PAYLOAD_TOO_LARGE', message: 'The request body is larger than this route allows.', requestId: 'p3' } }));
    const chunked = await send(`${gw.origin}/small`, { method: 'POST', body: 'y'.repeat(100), headers: { 'transfer-encoding': 'chunked' } });
    expect(chunked.status).toBe(413);
    const fits = await send(`${gw.origin}/small`, { method: 'POST', body: 'z'.repeat(10) });
    expect(fits.status).toBe(200);
  });
});

describe('without a plugin registry', () => {
  it('rejects any plugin name as unknown, listing the known plugins (none)', async () => {
    const gw = await startGateway();
    try {
      const doc = { upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 1 }] }], routes: [{ id: 'r', paths: ['/*'], upstream: 'u', plugins: { 'key-auth': {} } }] };
      const result = await gw.dataPlane.apply(doc, { version: 1, checksum: configChecksum(doc), source: 'file' });
      expect(result).toEqual({
        applied: false,
        reason: 'the config is invalid',
        problems: [{ path: '/routes/0/plugins/key-auth', message: 'unknown plugin "key-auth"; known plugins: (none).', fix: 'remove the plugin or run a build that registers it.' }],
      });
    } finally {
      await gw.close();
    }
  });
});
