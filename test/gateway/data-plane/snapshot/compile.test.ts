import { GatehouseError } from '../../../../gateway/src/core/errors';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from '../../../../gateway/src/config';
import { compileSnapshot } from '../../../../gateway/src/data-plane/snapshot';
import { salvagePath } from '../../../../gateway/src/config/routes';
import { EMPTY_CHAIN } from '../../../../gateway/src/plugins/contract';
import type { PluginChain, PluginChainFactory } from '../../../../gateway/src/plugins/contract';
import type { Snapshot } from '../../../../gateway/src/data-plane/types';
import { TargetRegistry } from '../../../../gateway/src/data-plane/upstream';
import { validateConfig } from '../../../../gateway/src/config';
import { UPSTREAMS, compileRoutes, validConfig } from './config';

const registry = new TargetRegistry();
afterAll(() => registry.closeAll());

function forward(s: Snapshot, path: string, method = 'GET'): string {
  const m = s.match(method, undefined, path, {});
  if (!m) throw new Error(`no route for ${path}`);
  return m.route.forwardPath(path, m.params);
}

const BAD_ROUTES = [
  { id: 'a', paths: ['/ok', '/users/:user-id'] },
  { id: 'b', paths: ['/x/:id/:id'] },
  { id: 'c', paths: ['/a/../../b'] },
  { id: 'd', paths: ['/items/:id'], rewritePath: '/v2/:item' },
  { id: 'e', paths: ['/exact'], rewritePath: '/new/*' },
];

const BAD_ROUTE_PROBLEMS = [
  {
    path: '/routes/0/paths/1',
    message: 'parameter ":user-id" in "/users/:user-id" is not a valid name.',
    fix: 'name parameters with letters, digits and "_" (e.g. "/users/:user_id"); a parameter takes a whole segment.',
  },
  { path: '/routes/1/paths/0', message: 'parameter ":id" appears twice in "/x/:id/:id".', fix: 'give each parameter its own name.' },
  {
    path: '/routes/2/paths/0',
    message: 'path "/a/../../b" is not a valid path: the path climbs above the root with "..".',
    fix: 'write a plain path such as "/api/users".',
  },
  {
    path: '/routes/3/rewritePath',
    message: 'rewritePath uses ":item" but path "/items/:id" does not define it.',
    fix: 'define ":item" in every path of the route (or a named group (?<item>...) in a regular expression), or remove it from rewritePath.',
  },
  {
    path: '/routes/4/rewritePath',
    message: 'rewritePath ends in "/*" but path "/exact" is not a prefix path.',
    fix: 'write every path of the route as "/prefix/*", or remove the final "/*" from rewritePath.',
  },
];

describe('forward path', () => {
  test('without stripPrefix or rewritePath the normalised path goes through unchanged', () => {
    const s = compileRoutes(registry, [{ id: 'a', paths: ['/api/*'] }]);
    expect(forward(s, '/api/users/a%2Fb')).toBe('/api/users/a%2Fb');
  });

  test('stripPrefix removes the matched prefix and keeps what follows', () => {
    const s = compileRoutes(registry, [
      { id: 'api', paths: ['/api/*'], stripPrefix: true },
      { id: 'deep', paths: ['/svc/v1/*', '/svc-legacy/*'], stripPrefix: true },
      { id: 'tenant', paths: ['/t/:tenant/*'], stripPrefix: true },
    ]);
    expect(forward(s, '/api/users')).toBe('/users');
    expect(forward(s, '/api/users/')).toBe('/users/');
    expect(forward(s, '/api')).toBe('/');
    expect(forward(s, '/api/')).toBe('/');
    expect(forward(s, '/svc/v1/x/y')).toBe('/x/y');
    expect(forward(s, '/svc-legacy/x')).toBe('/x');
    expect(forward(s, '/t/acme/orders')).toBe('/orders');
  });

  test('rewritePath fills :name placeholders from path parameters', () => {
    const s = compileRoutes(registry, [
      { id: 'user', paths: ['/users/:id/posts/:post'], rewritePath: '/v2/posts/:post?user=:id' },
      { id: 'static', paths: ['/old'], rewritePath: '/new' },
    ]);
    expect(forward(s, '/users/7/posts/a%2Fb')).toBe('/v2/posts/a%2Fb%3Fuser=7');
    expect(forward(s, '/old')).toBe('/new');
  });

  test('a final "/*" in rewritePath carries the rest after the matched prefix', () => {
    const s = compileRoutes(registry, [{ id: 'v', paths: ['/v1/*'], rewritePath: '/v2/*', stripPrefix: true }]);
    expect(forward(s, '/v1/a/b')).toBe('/v2/a/b');
    expect(forward(s, '/v1')).toBe('/v2/');
  });

  test('rewritePath takes named groups of a regular expression', () => {
    const s = compileRoutes(registry, [{ id: 'r', paths: ['~^/items-(?<id>[0-9]+)$'], rewritePath: '/items/:id' }]);
    expect(forward(s, '/items-12')).toBe('/items/12');
  });

  test('a rewritten path is normalised again and never climbs above the root or fails', () => {
    const s = compileRoutes(registry, [
      { id: 'dots', paths: ['~^/x/[a-z]*(?<tail>\\.+)$'], rewritePath: '/:tail/y' },
      { id: 'split', paths: ['~^/s/a(?<half>%2)'], rewritePath: '/r/:half/z' },
      { id: 'deep', paths: ['~^/d/(?<rest>.*)$'], rewritePath: '/base/:rest' },
    ]);
    expect(forward(s, '/x/a.')).toBe('/y');
    expect(forward(s, '/x/a..')).toBe('/y');
    expect(forward(s, '/s/a%2Fb')).toBe('/r/z');
    expect(forward(s, '/d/a/b/')).toBe('/base/a/b/');
  });

  test('salvaging drops climbing dot segments and invalid segments, whatever their spelling', () => {
    expect(salvagePath('/../../y')).toBe('/y');
    expect(salvagePath('/a/%2e%2E/b')).toBe('/b');
    expect(salvagePath('/a/%zz/b/')).toBe('/a/b/');
    expect(salvagePath('/a/..%2Fc/b')).toBe('/a/b');
    expect(salvagePath('/%C0%AE/b')).toBe('/b');
    expect(salvagePath('/..')).toBe('/');
  });
});

describe('compile errors', () => {
  test('validation reports what would keep a route from compiling, with JSON paths', () => {
    const result = validateConfig({ upstreams: UPSTREAMS, routes: BAD_ROUTES.map((r) => ({ ...r, upstream: 'u' })) });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual(BAD_ROUTE_PROBLEMS);
  });

  test('compiling an unvalidated config collects the same problems and opens no target', () => {
    const fresh = new TargetRegistry();
    const base = validConfig({ upstreams: UPSTREAMS, routes: [] });
    const routes = BAD_ROUTES.map((r) => ({ priority: 0, stripPrefix: false, preserveHost: false, upstream: 'u', ...r }));
    let error: GatehouseError | undefined;
    try {
      compileSnapshot({ ...base, routes }, { version: 1, checksum: 'c' }, { targets: fresh });
    } catch (err) {
      error = err as GatehouseError;
    }
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error!.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(error!.problems).toEqual(BAD_ROUTE_PROBLEMS);
    expect(fresh.targets()).toEqual([]);
  });

  test('a route referencing a missing upstream is refused even if validation was skipped', () => {
    const config = validConfig({ upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }], routes: [] });
    const broken = { ...config, routes: [{ id: 'r', paths: ['/'], upstream: 'nope', priority: 0, stripPrefix: false, preserveHost: false }] };
    expect(() => compileSnapshot(broken, { version: 1, checksum: 'c' }, { targets: registry })).toThrow(
      expect.objectContaining({ problems: [expect.objectContaining({ path: '/routes/0/upstream', message: 'upstream "nope" does not exist.' })] }),
    );
  });

  test('a plugin factory that throws closes the targets the compile opened and rethrows', () => {
    const fresh = new TargetRegistry();
    const factory: PluginChainFactory = {
      forRoute: () => {
        throw new Error('plugin exploded');
      },
    };
    const config = validConfig({ upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }], routes: [{ id: 'r', paths: ['/'], upstream: 'u' }] });
    expect(() => compileSnapshot(config, { version: 1, checksum: 'c' }, { targets: fresh, plugins: factory })).toThrow('plugin exploded');
    expect(fresh.targets()).toEqual([]);
  });
});

describe('snapshot', () => {
  test('carries version, checksum, config and route count, and is frozen', () => {
    const config = validConfig({
      upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }],
      routes: [
        { id: 'a', paths: ['/a'], upstream: 'u' },
        { id: 'b', paths: ['/b'], upstream: 'u' },
      ],
    });
    const s = compileSnapshot(config, { version: 7, checksum: 'sha256:abc' }, { targets: registry });
    expect(s.version).toBe(7);
    expect(s.checksum).toBe('sha256:abc');
    expect(s.config).toBe(config);
    expect(s.routeCount).toBe(2);
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.match('GET', undefined, '/a', {})!.route)).toBe(true);
    expect(s.upstream('u')!.id).toBe('u');
    expect(s.upstream('nope')).toBeUndefined();
    expect(s.match('GET', undefined, '/a', {})!.route.upstream).toBe(s.upstream('u'));
  });

  test('a route cannot set the connect timeout: it belongs to the shared upstream pool', () => {
    const result = validateConfig({
      upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }],
      routes: [{ id: 'r', paths: ['/r'], upstream: 'u', timeouts: { connectMs: 100 } }],
    });
    expect(result).toEqual({
      ok: false,
      problems: [{ path: '/routes/0/timeouts', message: 'must NOT have additional properties.', fix: 'remove "connectMs" or check its spelling.' }],
    });
  });

  test('timeouts resolve route over upstream over defaults, each on its own', () => {
    const config = validConfig({
      upstreams: [
        { id: 'slow', targets: [{ host: '127.0.0.1', port: 9 }], timeouts: { requestMs: 90_000, connectMs: 1_000 } },
        { id: 'plain', targets: [{ host: '127.0.0.1', port: 9 }] },
      ],
      routes: [
        { id: 'r1', paths: ['/1'], upstream: 'slow', timeouts: { requestMs: 500 } },
        { id: 'r2', paths: ['/2'], upstream: 'plain' },
      ],
    });
    const s = compileSnapshot(config, { version: 1, checksum: 'c' }, { targets: registry });
    expect(s.match('GET', undefined, '/1', {})!.route.timeouts).toEqual({ connectMs: 1_000, requestMs: 500, idleMs: DEFAULT_IDLE_TIMEOUT_MS });
    expect(s.match('GET', undefined, '/2', {})!.route.timeouts).toEqual({
      connectMs: DEFAULT_CONNECT_TIMEOUT_MS,
      requestMs: DEFAULT_REQUEST_TIMEOUT_MS,
      idleMs: DEFAULT_IDLE_TIMEOUT_MS,
    });
  });

  test('routes get the empty chain without a factory, and the factory chain with one', () => {
    expect(compileRoutes(registry, [{ id: 'a', paths: ['/a'] }]).match('GET', undefined, '/a', {})!.route.plugins).toBe(EMPTY_CHAIN);
    expect(EMPTY_CHAIN.empty).toBe(true);
    const seen: string[] = [];
    const chain: PluginChain = { empty: false, rewrite: () => undefined, access: () => undefined, responseHeaders: () => undefined, log: () => undefined };
    const factory: PluginChainFactory = {
      forRoute: (route, config) => {
        seen.push(`${route.id}:${config.routes.length}`);
        return chain;
      },
    };
    const s = compileRoutes(registry, [{ id: 'a', paths: ['/a'] }, { id: 'b', paths: ['/b'] }], factory);
    expect(seen).toEqual(['a:2', 'b:2']);
    expect(s.match('GET', undefined, '/b', {})!.route.plugins).toBe(chain);
  });
});

describe('route plans', () => {
  const planned = (paths: string[]) => {
    const result = validateConfig({ upstreams: UPSTREAMS, routes: [{ id: 'a', paths, upstream: 'u' }] });
    if (!result.ok) throw new Error('test config is invalid');
    return result;
  };

  it('validation returns one plan per route, in route order', () => {
    expect(planned(['/a/:id']).routePlans.map((p) => p.patterns.length)).toEqual([1]);
  });

  it('the compiler routes by the plans it is given instead of parsing the patterns again', () => {
    const other = planned(['/b/:id']).routePlans;
    const s = compileSnapshot(planned(['/a/:id']).value, { version: 1, checksum: 'test' }, { targets: registry, routePlans: other });
    expect(s.match('GET', undefined, '/b/1', {})?.route.id).toBe('a');
    expect(s.match('GET', undefined, '/a/1', {})).toBeUndefined();
  });
});
