import { Type } from '@sinclair/typebox';
import pino from 'pino';
import { DataPlane } from '../../../gateway/src/data-plane';
import { SnapshotCompiler } from '../../../gateway/src/data-plane/snapshot';
import { createPluginRegistry, type GatewayPlugin } from '../../../gateway/src/plugins';
import { validateConfig } from '../../../gateway/src/config';
import { check, documentWith, fakeContext, MemoryLogger } from './harness';

describe('plugin registry: config checks', () => {
  it('rejects an unknown plugin and lists the known ones', () => {
    const { problems } = check(documentWith({ 'key-aut': {} }));
    expect(problems).toEqual([
      {
        path: '/routes/0/plugins/key-aut',
        message: 'unknown plugin "key-aut".',
        fix: 'use one of the known plugins: basic-auth, cors, ip-restriction, jwt-auth, key-auth, proxy-rewrite, rate-limit, request-headers, request-size-limit, response-headers, traffic-split.',
      },
    ]);
  });

  it('rejects consumer config for a plugin that takes none', () => {
    const { problems } = check(documentWith({}, { consumers: [{ id: 'c1', plugins: { cors: {} } }] }));
    expect(problems).toEqual([
      {
        path: '/consumers/0/plugins/cors',
        message: 'plugin "cors" takes no per-consumer config.',
        fix: 'remove it from the consumer; consumers configure only basic-auth, jwt-auth, key-auth.',
      },
    ]);
  });

  it('checks global slots too, with their JSON path', () => {
    const { problems } = check(documentWith({}, { global: { cors: { maxAgeSec: 'long' } } }));
    expect(problems).toEqual([{ path: '/plugins/cors/maxAgeSec', message: 'must be integer.', fix: 'use a value of type integer.' }]);
  });
});

describe('plugin registry: chains', () => {
  const order: string[] = [];
  const prepared: string[] = [];
  const tracer = (name: string, priority: number): GatewayPlugin<{ tag: string }> => ({
    name,
    priority,
    schema: Type.Object({ tag: Type.String({ default: 'default' }) }, { additionalProperties: false }),
    prepare: (conf) => {
      prepared.push(`${name}:${conf.tag}`);
      return conf;
    },
    access: (_ctx, conf) => void order.push(`${name}:${conf.tag}`),
  });
  const plugins = [tracer('low', 1), tracer('high', 100), tracer('mid', 50)];

  beforeEach(() => {
    order.length = 0;
    prepared.length = 0;
  });

  it('is empty when nothing is configured', () => {
    const registry = createPluginRegistry({}, plugins);
    const result = validateConfig(documentWith({}), registry.checker);
    if (!result.ok) throw new Error('invalid');
    expect(registry.factory.forRoute(result.value.routes[0]!, result.value).empty).toBe(true);
  });

  it('merges global and route configs (the route wins) and runs by priority, highest first', async () => {
    const registry = createPluginRegistry({}, plugins);
    const doc = documentWith({ mid: { tag: 'route' } }, { global: { low: {}, mid: { tag: 'global' }, high: { tag: 'g' } } });
    const result = validateConfig(doc, registry.checker);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const chain = registry.factory.forRoute(result.value.routes[0]!, result.value);
    expect(chain.empty).toBe(false);
    await chain.access(fakeContext(result.value));
    expect(order).toEqual(['high:g', 'mid:route', 'low:default']);
  });

  it('switches a global plugin off on a route that sets it to false', async () => {
    const registry = createPluginRegistry({}, plugins);
    const result = validateConfig(documentWith({ high: false }, { global: { low: {}, high: {} } }), registry.checker);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    await registry.factory.forRoute(result.value.routes[0]!, result.value).access(fakeContext(result.value));
    expect(order).toEqual(['low:default']);
    const alone = validateConfig(documentWith({ high: false }, { global: { high: {} } }), registry.checker);
    if (!alone.ok) throw new Error(JSON.stringify(alone.problems));
    expect(registry.factory.forRoute(alone.value.routes[0]!, alone.value).empty).toBe(true);
  });

  it('rejects false where there is no global plugin to switch off, and outside routes', () => {
    const registry = createPluginRegistry({}, plugins);
    expect(validateConfig(documentWith({ high: false }), registry.checker)).toEqual({
      ok: false,
      problems: [
        {
          path: '/routes/0/plugins/high',
          message: '"high: false" disables a global plugin, but "high" is not configured globally.',
          fix: 'remove the slot, or configure "high" under the top-level plugins.',
        },
      ],
    });
    expect(validateConfig(documentWith({}, { global: { high: false } }), registry.checker)).toEqual({
      ok: false,
      problems: [{ path: '/plugins/high', message: '"high: false" only means something on a route.', fix: 'remove the slot, or give the plugin a config object.' }],
    });
  });

  it('prepares a global config once per config load, a route config once per route', () => {
    const registry = createPluginRegistry({}, plugins);
    const doc = {
      upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }],
      routes: [
        { id: 'a', paths: ['/a'], upstream: 'u' },
        { id: 'b', paths: ['/b'], upstream: 'u', plugins: { mid: { tag: 'b' } } },
        { id: 'c', paths: ['/c'], upstream: 'u' },
      ],
      plugins: { high: { tag: 'g' } },
    };
    const result = validateConfig(doc, registry.checker);
    if (!result.ok) throw new Error('invalid');
    for (const r of result.value.routes) registry.factory.forRoute(r, result.value);
    expect(prepared).toEqual(['high:g', 'mid:b']);
  });

  it('answers 500 and logs when a plugin throws (never fails open)', async () => {
    const logger = new MemoryLogger();
    const boom: GatewayPlugin = { name: 'boom', priority: 1, schema: Type.Object({}), access: () => { throw new Error('kaput'); } };
    const rejecting: GatewayPlugin = { name: 'later', priority: 0, schema: Type.Object({}), access: async () => Promise.reject(new Error('async kaput')) };
    for (const [plugins, detail] of [[[boom], 'kaput'], [[rejecting], 'async kaput']] as const) {
      const registry = createPluginRegistry({ logger }, plugins);
      const result = validateConfig(documentWith({ [plugins[0].name]: {} }), registry.checker);
      if (!result.ok) throw new Error('invalid');
      const chain = registry.factory.forRoute(result.value.routes[0]!, result.value);
      expect(await chain.access(fakeContext(result.value))).toEqual({ status: 500, error: 'GW_ERR_INTERNAL' });
      expect(logger.lines.at(-1)).toMatchObject({ level: 'error', obj: { plugin: plugins[0].name, err: expect.objectContaining({ message: detail }) } });
    }
  });

  it('stops at the first answer and skips later plugins', async () => {
    const stop: GatewayPlugin = { name: 'stop', priority: 75, schema: Type.Object({}), access: async () => ({ status: 403, error: 'GW_ERR_FORBIDDEN' }) };
    const registry = createPluginRegistry({}, [...plugins, stop]);
    const result = validateConfig(documentWith({ high: {}, stop: {}, low: {} }), registry.checker);
    if (!result.ok) throw new Error('invalid');
    const answer = await registry.factory.forRoute(result.value.routes[0]!, result.value).access(fakeContext(result.value));
    expect(answer).toEqual({ status: 403, error: 'GW_ERR_FORBIDDEN' });
    expect(order).toEqual(['high:default']);
  });

  it('does not allocate a promise when every handler is synchronous', () => {
    const registry = createPluginRegistry({}, plugins);
    const result = validateConfig(documentWith({ high: {}, low: {} }), registry.checker);
    if (!result.ok) throw new Error('invalid');
    const chain = registry.factory.forRoute(result.value.routes[0]!, result.value);
    expect(chain.access(fakeContext(result.value))).toBeUndefined();
    expect(chain.rewrite(fakeContext(result.value))).toBeUndefined();
  });
});

describe('plugin registry: validation hands its checked slots to compilation', () => {
  const checks: string[] = [];
  const counted: GatewayPlugin<{ tag: string }> = {
    name: 'counted',
    priority: 1,
    schema: Type.Object({ tag: Type.String({ default: 'default' }) }, { additionalProperties: false }),
    check: (conf, { path }) => (checks.push(`${path}:${conf.tag}`), []),
  };
  const doc = () => ({
    upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }],
    routes: [
      { id: 'a', paths: ['/a'], upstream: 'u', plugins: { counted: { tag: 'a' } } },
      { id: 'b', paths: ['/b'], upstream: 'u' },
    ],
    plugins: { counted: {} },
  });

  beforeEach(() => (checks.length = 0));

  it('checks each plugin slot once when a data plane applies a config', async () => {
    const registry = createPluginRegistry({}, [counted]);
    const dataPlane = new DataPlane({ log: pino({ level: 'silent' }), compilation: new SnapshotCompiler(), plugins: registry });
    try {
      expect(await dataPlane.apply(doc(), { version: 1, checksum: 'c', source: 'file' })).toEqual({ applied: true, version: 1 });
      expect(checks.sort()).toEqual(['/plugins/counted:default', '/routes/0/plugins/counted:a']);
    } finally {
      await dataPlane.close();
    }
  });

  it('still checks (and fills defaults) when the document was not validated by the same catalogue', () => {
    const registry = createPluginRegistry({}, [counted]);
    const other = createPluginRegistry({}, [counted]);
    const result = validateConfig(doc(), other.checker);
    if (!result.ok) throw new Error('invalid');
    checks.length = 0;
    registry.factory.forRoute(result.value.routes[1]!, result.value, other.checker);
    expect(checks).toEqual(['/plugins/counted:default']);
    checks.length = 0;
    registry.factory.forRoute(result.value.routes[1]!, { ...result.value, plugins: { counted: {} } });
    expect(checks).toEqual(['/plugins/counted:default']);
  });
});
