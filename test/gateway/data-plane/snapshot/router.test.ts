import type { IncomingHttpHeaders } from 'node:http';
import { TargetRegistry } from '../../../../gateway/src/data-plane/upstream';
import type { Snapshot } from '../../../../gateway/src/data-plane/types';
import { compileRoutes } from './config';

const registry = new TargetRegistry();
afterAll(() => registry.closeAll());

function routeOf(s: Snapshot, path: string, opts: { method?: string; host?: string; headers?: IncomingHttpHeaders } = {}): string | undefined {
  return s.match(opts.method ?? 'GET', opts.host, path, opts.headers ?? {})?.route.id;
}

function paramsOf(s: Snapshot, path: string): Record<string, string> | undefined {
  const m = s.match('GET', undefined, path, {});
  return m ? { ...m.params } : undefined;
}

describe('path patterns', () => {
  test('an exact path matches only itself; the trailing slash is significant', () => {
    const s = compileRoutes(registry, [{ id: 'users', paths: ['/users'] }, { id: 'root', paths: ['/'] }]);
    expect(routeOf(s, '/users')).toBe('users');
    expect(routeOf(s, '/users/')).toBeUndefined();
    expect(routeOf(s, '/users/1')).toBeUndefined();
    expect(routeOf(s, '/')).toBe('root');
    expect(routeOf(s, '/usersx')).toBeUndefined();
  });

  test('a prefix matches itself and everything below, not siblings with the same start', () => {
    const s = compileRoutes(registry, [{ id: 'api', paths: ['/api/*'] }]);
    for (const p of ['/api', '/api/', '/api/users', '/api/users/1/x/']) expect(routeOf(s, p)).toBe('api');
    expect(routeOf(s, '/apis')).toBeUndefined();
    expect(routeOf(s, '/')).toBeUndefined();
    expect(paramsOf(s, '/api')).toEqual({ '*': '' });
    expect(paramsOf(s, '/api/')).toEqual({ '*': '' });
    expect(paramsOf(s, '/api/users/1/')).toEqual({ '*': 'users/1/' });
  });

  test('"/*" matches every path', () => {
    const s = compileRoutes(registry, [{ id: 'all', paths: ['/*'] }]);
    for (const p of ['/', '/a', '/a/b/c']) expect(routeOf(s, p)).toBe('all');
    expect(paramsOf(s, '/a/b')).toEqual({ '*': 'a/b' });
  });

  test('a parameter takes one whole non-empty segment, in its normalised (encoded) form', () => {
    const s = compileRoutes(registry, [
      { id: 'user', paths: ['/users/:id'] },
      { id: 'post', paths: ['/users/:uid/posts/:post_id'] },
    ]);
    expect(routeOf(s, '/users/42')).toBe('user');
    expect(paramsOf(s, '/users/42')).toEqual({ id: '42' });
    expect(paramsOf(s, '/users/a%2Fb')).toEqual({ id: 'a%2Fb' });
    expect(routeOf(s, '/users/')).toBeUndefined();
    expect(routeOf(s, '/users')).toBeUndefined();
    expect(routeOf(s, '/users/42/x')).toBeUndefined();
    expect(paramsOf(s, '/users/7/posts/9')).toEqual({ uid: '7', post_id: '9' });
  });

  test('a parameter can sit in a prefix pattern', () => {
    const s = compileRoutes(registry, [{ id: 'tenant', paths: ['/t/:tenant/*'] }]);
    expect(paramsOf(s, '/t/acme/a/b')).toEqual({ tenant: 'acme', '*': 'a/b' });
    expect(paramsOf(s, '/t/acme')).toEqual({ tenant: 'acme', '*': '' });
  });

  test('a regular expression matches the normalised path; named groups become parameters', () => {
    const s = compileRoutes(registry, [{ id: 're', paths: ['~^/v(?<version>[0-9]+)/items$'] }]);
    expect(routeOf(s, '/v2/items')).toBe('re');
    expect(paramsOf(s, '/v2/items')).toEqual({ version: '2' });
    expect(routeOf(s, '/v2/items/')).toBeUndefined();
    expect(routeOf(s, '/vx/items')).toBeUndefined();
  });

  test('regular expressions are tried after every tree pattern, whatever their priority', () => {
    const s = compileRoutes(registry, [
      { id: 're', paths: ['~^/api/'], priority: 1000 },
      { id: 'prefix', paths: ['/api/*'] },
    ]);
    expect(routeOf(s, '/api/x')).toBe('prefix');
  });

  test('among regular expressions, priority then config order decides', () => {
    const s = compileRoutes(registry, [
      { id: 're-a', paths: ['~^/x'] },
      { id: 're-b', paths: ['~^/x/y'], priority: 5 },
      { id: 're-c', paths: ['~^/x/y'], priority: 5 },
    ]);
    expect(routeOf(s, '/x/y')).toBe('re-b');
    expect(routeOf(s, '/x/z')).toBe('re-a');
  });

  test('a route with several paths matches on any of them', () => {
    const s = compileRoutes(registry, [{ id: 'multi', paths: ['/a', '/b/*', '/c/:id', '~^/d$'] }]);
    for (const p of ['/a', '/b/x', '/c/1', '/d']) expect(routeOf(s, p)).toBe('multi');
  });

  test('static segments of patterns are normalised like request paths', () => {
    const s = compileRoutes(registry, [{ id: 'cafe', paths: ['/caf%c3%a9//%7emenu'] }]);
    expect(routeOf(s, '/caf%C3%A9/~menu')).toBe('cafe');
  });
});

describe('precedence', () => {
  test('most specific pattern wins: exact, then parameter, then longest prefix', () => {
    const s = compileRoutes(registry, [
      { id: 'all', paths: ['/*'], priority: 100 },
      { id: 'users-prefix', paths: ['/users/*'], priority: 50 },
      { id: 'user', paths: ['/users/:id'], priority: 10 },
      { id: 'me', paths: ['/users/me'] },
      { id: 'deep-prefix', paths: ['/users/me/*'] },
    ]);
    expect(routeOf(s, '/users/me')).toBe('me');
    expect(routeOf(s, '/users/42')).toBe('user');
    expect(routeOf(s, '/users/42/x')).toBe('users-prefix');
    expect(routeOf(s, '/users/me/x')).toBe('deep-prefix');
    expect(routeOf(s, '/users')).toBe('users-prefix');
    expect(routeOf(s, '/other')).toBe('all');
  });

  test('the leftmost differing segment decides: a literal beats a parameter even if the rest is a prefix', () => {
    const s = compileRoutes(registry, [
      { id: 'param-exact', paths: ['/a/:x/c'] },
      { id: 'literal-prefix', paths: ['/a/b/*'] },
    ]);
    expect(routeOf(s, '/a/b/c')).toBe('literal-prefix');
    expect(routeOf(s, '/a/z/c')).toBe('param-exact');
  });

  test('the tree backtracks when a more specific branch has no route for the rest of the path', () => {
    const s = compileRoutes(registry, [
      { id: 'literal', paths: ['/a/b/c'] },
      { id: 'param', paths: ['/a/:x/d'] },
    ]);
    expect(routeOf(s, '/a/b/d')).toBe('param');
    expect(paramsOf(s, '/a/b/d')).toEqual({ x: 'b' });
  });

  test('on equally specific patterns, higher priority wins, then config order', () => {
    const s = compileRoutes(registry, [
      { id: 'first', paths: ['/x'] },
      { id: 'second', paths: ['/x'] },
      { id: 'low', paths: ['/y'], priority: -1 },
      { id: 'default', paths: ['/y'] },
      { id: 'high', paths: ['/z/*'], priority: 2 },
      { id: 'higher', paths: ['/z/*'], priority: 3 },
    ]);
    expect(routeOf(s, '/x')).toBe('first');
    expect(routeOf(s, '/y')).toBe('default');
    expect(routeOf(s, '/z/1')).toBe('higher');
  });

  test('a method mismatch falls through to the next candidate, across patterns', () => {
    const s = compileRoutes(registry, [
      { id: 'create-user', paths: ['/api/users'], methods: ['POST'] },
      { id: 'api', paths: ['/api/*'], methods: ['GET', 'HEAD'] },
      { id: 'fallback', paths: ['/*'] },
    ]);
    expect(routeOf(s, '/api/users', { method: 'POST' })).toBe('create-user');
    expect(routeOf(s, '/api/users', { method: 'GET' })).toBe('api');
    expect(routeOf(s, '/api/users', { method: 'DELETE' })).toBe('fallback');
  });

  test('a GET route also answers HEAD, and only HEAD', () => {
    const s = compileRoutes(registry, [{ id: 'read', paths: ['/r'], methods: ['GET'] }]);
    expect(routeOf(s, '/r', { method: 'HEAD' })).toBe('read');
    expect(s.match('POST', undefined, '/r', {})).toBeUndefined();
  });

  test('a route without methods takes every method', () => {
    const s = compileRoutes(registry, [{ id: 'any', paths: ['/a'] }]);
    for (const m of ['GET', 'POST', 'OPTIONS', 'PATCH']) expect(routeOf(s, '/a', { method: m })).toBe('any');
  });

  test('no route: undefined', () => {
    const s = compileRoutes(registry, [{ id: 'a', paths: ['/a'], methods: ['GET'] }]);
    expect(s.match('POST', undefined, '/a', {})).toBeUndefined();
    expect(s.match('GET', undefined, '/b', {})).toBeUndefined();
  });
});

describe('header matches', () => {
  const s = () =>
    compileRoutes(registry, [
      { id: 'canary', paths: ['/x'], headers: [{ name: 'X-Canary', value: 'on' }], priority: 3 },
      { id: 'mobile', paths: ['/x'], headers: [{ name: 'user-agent', regex: '(Android|iPhone)' }], priority: 2 },
      { id: 'anonymous', paths: ['/x'], headers: [{ name: 'Authorization', absent: true }], priority: 1 },
      { id: 'tenant-and-json', paths: ['/x'], headers: [{ name: 'x-tenant' }, { name: 'accept', value: 'application/json' }] },
      { id: 'rest', paths: ['/*'] },
    ]);

  test('an exact value matches case-sensitively on the value, case-insensitively on the name', () => {
    expect(routeOf(s(), '/x', { headers: { 'x-canary': 'on', authorization: 'a' } })).toBe('canary');
    expect(routeOf(s(), '/x', { headers: { 'x-canary': 'ON', authorization: 'a' } })).toBe('rest');
  });

  test('a regular expression matches the value', () => {
    expect(routeOf(s(), '/x', { headers: { 'user-agent': 'Mozilla (iPhone)', authorization: 'a' } })).toBe('mobile');
    expect(routeOf(s(), '/x', { headers: { 'user-agent': 'curl/8', authorization: 'a' } })).toBe('rest');
  });

  test('absent matches only when the header is missing', () => {
    expect(routeOf(s(), '/x', {})).toBe('anonymous');
    expect(routeOf(s(), '/x', { headers: { authorization: '' } })).toBe('rest');
  });

  test('a name alone requires presence, and every condition of a route must hold', () => {
    expect(routeOf(s(), '/x', { headers: { authorization: 'a', 'x-tenant': 't', accept: 'application/json' } })).toBe('tenant-and-json');
    expect(routeOf(s(), '/x', { headers: { authorization: 'a', 'x-tenant': 't', accept: 'text/html' } })).toBe('rest');
  });

  test('repeated header values are joined with ", " before comparing', () => {
    const t = compileRoutes(registry, [{ id: 'both', paths: ['/x'], headers: [{ name: 'x-flag', value: 'a, b' }] }]);
    expect(routeOf(t, '/x', { headers: { 'x-flag': ['a', 'b'] } })).toBe('both');
  });
});

describe('hosts', () => {
  const s = () =>
    compileRoutes(registry, [
      { id: 'any', paths: ['/*'] },
      { id: 'wild', paths: ['/*'], hosts: ['*.example.com'] },
      { id: 'wild-deep', paths: ['/*'], hosts: ['*.eu.example.com'] },
      { id: 'exact', paths: ['/*'], hosts: ['api.example.com', 'API2.example.com'] },
      { id: 'exact-only-admin', paths: ['/admin/*'], hosts: ['admin.example.com'] },
    ]);

  test('exact host before wildcard before any host, whatever the order in the config', () => {
    expect(routeOf(s(), '/a', { host: 'api.example.com' })).toBe('exact');
    expect(routeOf(s(), '/a', { host: 'www.example.com' })).toBe('wild');
    expect(routeOf(s(), '/a', { host: 'other.org' })).toBe('any');
  });

  test('the longest wildcard suffix wins; a wildcard covers deeper names but not the apex', () => {
    expect(routeOf(s(), '/a', { host: 'fr.eu.example.com' })).toBe('wild-deep');
    expect(routeOf(s(), '/a', { host: 'a.b.example.com' })).toBe('wild');
    expect(routeOf(s(), '/a', { host: 'example.com' })).toBe('any');
    expect(routeOf(s(), '/a', { host: 'eu.example.com' })).toBe('wild');
  });

  test('host names compare without case, port or trailing dot', () => {
    expect(routeOf(s(), '/a', { host: 'API.Example.COM:8443' })).toBe('exact');
    expect(routeOf(s(), '/a', { host: 'api2.example.com.' })).toBe('exact');
    expect(routeOf(s(), '/a', { host: '[::1]:8080' })).toBe('any');
  });

  test('a host tier without a matching path falls through to the next tier', () => {
    expect(routeOf(s(), '/admin/x', { host: 'admin.example.com' })).toBe('exact-only-admin');
    expect(routeOf(s(), '/public', { host: 'admin.example.com' })).toBe('wild');
  });

  test('a request without Host only reaches routes without hosts', () => {
    expect(routeOf(s(), '/a', { host: undefined })).toBe('any');
    const t = compileRoutes(registry, [{ id: 'h', paths: ['/*'], hosts: ['a.com'] }]);
    expect(routeOf(t, '/a', { host: undefined })).toBeUndefined();
    expect(routeOf(t, '/a', { host: 'b.com' })).toBeUndefined();
  });
});

describe('gRPC routes', () => {
  const routes = [
    { id: 'greeter', grpc: { service: 'pkg.Greeter' }, priority: 10 },
    { id: 'json-api', paths: ['/pkg.Greeter/*'] },
    { id: 'any-body', grpc: { service: 'pkg.Other', matchContentType: false } },
  ];
  const grpc = { 'content-type': 'application/grpc+proto' };

  test('a gRPC call takes the gRPC route; anything else on its paths falls through to the next route', () => {
    const s = compileRoutes(registry, routes);
    expect(routeOf(s, '/pkg.Greeter/SayHello', { method: 'POST', headers: grpc })).toBe('greeter');
    expect(routeOf(s, '/pkg.Greeter/SayHello', { method: 'POST', headers: { 'content-type': 'application/json' } })).toBe('json-api');
    expect(routeOf(s, '/pkg.Greeter/SayHello', { method: 'POST', headers: { 'content-type': 'application/grpc-web' } })).toBe('json-api');
    expect(routeOf(s, '/pkg.Greeter/SayHello', { method: 'GET', headers: grpc })).toBe('json-api');
  });

  test('without a route to fall through to, a request that is not a gRPC call matches nothing', () => {
    const s = compileRoutes(registry, routes);
    expect(routeOf(s, '/pkg.Other/Call', { method: 'POST', headers: { 'content-type': 'application/json' } })).toBe('any-body');
    expect(routeOf(s, '/pkg.Other/Call', { method: 'PUT', headers: grpc })).toBeUndefined();
    expect(routeOf(s, '/pkg.Other/Call', { method: 'HEAD' })).toBeUndefined();
  });
});
