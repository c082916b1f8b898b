import { validateConfig } from '../../../gateway/src/config/validate';
import type { PluginConfigChecker } from '../../../gateway/src/config/validate';

const upstream = { id: 'users', targets: [{ host: '127.0.0.1', port: 9000 }] };
const route = { id: 'users-api', paths: ['/users/*'], upstream: 'users' };

describe('validateConfig', () => {
  it('accepts the minimal config and fills defaults', () => {
    const result = validateConfig({ routes: [route], upstreams: [upstream] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.consumers).toEqual([]);
    expect(result.value.plugins).toEqual({});
    expect(result.value.routes[0]).toMatchObject({ priority: 0, stripPrefix: false, preserveHost: false });
    const u = result.value.upstreams[0];
    expect(u.scheme).toBe('http');
    expect(u.balancer).toEqual({ algorithm: 'round-robin' });
    expect(u.retries).toBe(1);
    expect(u.poolSize).toBe(128);
    expect(u.targets[0].weight).toBe(1);
    expect(u.healthChecks.passive).toEqual({ enabled: true, failures: 3, ejectMs: 10_000, statuses: [502, 503, 504], maxEjectionPercent: 50 });
    expect(u.healthChecks.active).toMatchObject({ enabled: false, path: '/healthz', intervalMs: 5_000 });
  });

  it('does not mutate its input', () => {
    const input = { routes: [route], upstreams: [upstream] };
    const before = JSON.stringify(input);
    validateConfig(input);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('rejects a non-object document', () => {
    expect(validateConfig([])).toEqual({
      ok: false,
      problems: [{ path: '', message: 'the config must be an object.', fix: 'give an object with routes, upstreams, consumers and plugins.' }],
    });
  });

  it('names every schema problem with its JSON path and a fix', () => {
    const result = validateConfig({
      routes: [{ id: 'r', paths: [], upstream: 'users', colour: 'red' }],
      upstreams: [{ id: 'users', targets: [{ host: 'a', port: 70000 }], balancer: { algorithm: 'random' } }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { path: '/routes/0', message: 'must NOT have additional properties.', fix: 'remove "colour" or check its spelling.' },
        { path: '/routes/0/paths', message: 'must NOT have fewer than 1 items.', fix: 'give at least 1 item(s).' },
        { path: '/upstreams/0/targets/0/port', message: 'must be <= 65535.', fix: 'use a number <= 65535.' },
        {
          path: '/upstreams/0/balancer/algorithm',
          message: 'must be one of ["round-robin","least-connections","consistent-hash"].',
          fix: 'use one of ["round-robin","least-connections","consistent-hash"].',
        },
      ]),
    );
  });

  it('rejects a route naming a missing upstream and duplicate ids', () => {
    const result = validateConfig({
      routes: [route, { ...route, upstream: 'orders' }],
      upstreams: [upstream],
    });
    expect(result).toEqual({
      ok: false,
      problems: [
        { path: '/routes/1/id', message: 'duplicate route id "users-api" (also at /routes/0/id).', fix: 'give each route a unique id.' },
        {
          path: '/routes/1/upstream',
          message: 'upstream "orders" does not exist.',
          fix: 'define an upstream with id "orders" or reference one of the existing upstreams.',
        },
      ],
    });
  });

  it('checks path syntax, regexes, header matches and balancer settings', () => {
    const result = validateConfig({
      routes: [
        {
          id: 'r',
          paths: ['api', '/a/*/b', '~(unclosed'],
          upstream: 'users',
          stripPrefix: true,
          headers: [{ name: 'x-v', value: '1', regex: '^1$' }],
        },
      ],
      upstreams: [{ ...upstream, balancer: { algorithm: 'consistent-hash', hashOn: 'header' } }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual([
      '/routes/0/paths/0',
      '/routes/0/paths/1',
      '/routes/0/paths/2',
      '/routes/0/stripPrefix',
      '/routes/0/headers/0',
      '/upstreams/0/balancer/hashKey',
    ]);
  });

  it('hands plugin slots to the plugin checker and keeps its defaults', () => {
    const checker: PluginConfigChecker = {
      check: (scope, name, config, path) =>
        name === 'known'
          ? { ok: true, value: { ...(config as object), filled: scope } }
          : { ok: false, problems: [{ path, message: `unknown plugin "${name}".`, fix: 'use one of: known.' }] },
    };
    const ok = validateConfig({ routes: [{ ...route, plugins: { known: {} } }], upstreams: [upstream], plugins: { known: {} } }, checker);
    expect(ok.ok && ok.value.routes[0].plugins).toEqual({ known: { filled: 'route' } });
    expect(ok.ok && ok.value.plugins).toEqual({ known: { filled: 'global' } });
    const bad = validateConfig({ routes: [route], upstreams: [upstream], consumers: [{ id: 'c', plugins: { nope: {} } }] }, checker);
    expect(bad).toEqual({
      ok: false,
      problems: [{ path: '/consumers/0/plugins/nope', message: 'unknown plugin "nope".', fix: 'use one of: known.' }],
    });
  });
});

describe('validateConfig reports every problem of every stage at once', () => {
  // A bad port (schema), a missing upstream and a duplicate id (references), a path without "/" (routes)
  // and an unknown plugin (plugins): one answer names all five, in document order.
  const document = {
    upstreams: [
      { id: 'users', targets: [{ host: '127.0.0.1', port: 70_000 }] },
      { id: 'orders', targets: [{ host: '127.0.0.1', port: 9001 }] },
    ],
    routes: [
      { id: 'a', paths: ['/a'], upstream: 'users' },
      { id: 'b', paths: ['b'], upstream: 'orders' },
      { id: 'a', paths: ['/c'], upstream: 'nowhere' },
      { id: 'd', paths: ['/d'], upstream: 'orders', plugins: { 'no-such-plugin': {} } },
    ],
  };
  const checker: PluginConfigChecker = {
    check: (_scope, name, config, path) =>
      name === 'known' ? { ok: true, value: config } : { ok: false, problems: [{ path, message: `unknown plugin "${name}".`, fix: 'remove it.' }] },
  };

  it('schema, references, routes and plugins, each at its JSON path', () => {
    const result = validateConfig(document, checker);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual([
      '/routes/1/paths/0',
      '/routes/2/id',
      '/routes/2/upstream',
      '/routes/3/plugins/no-such-plugin',
      '/upstreams/0/targets/0/port',
    ]);
  });

  it('a route naming an upstream that failed its schema is not also told the upstream does not exist', () => {
    const result = validateConfig(document, checker);
    if (result.ok) throw new Error('expected problems');
    expect(result.problems.filter((p) => p.path === '/routes/0/upstream')).toEqual([]);
  });

  it('the order is stable: the same document gives the same list', () => {
    const first = validateConfig(document, checker);
    const second = validateConfig(structuredClone(document), checker);
    expect(second).toEqual(first);
  });
});
