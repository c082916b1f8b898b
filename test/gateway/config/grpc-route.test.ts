/**
 * The `grpc` route shorthand: a service (and methods) instead of `paths`, compiled to the same path
 * patterns; names checked by the schema, conflicts with paths-only fields refused.
 */
import { validateConfig } from '../../../gateway/src/config/validate';

const upstreams = [{ id: 'greeter', protocol: 'h2c', targets: [{ host: '127.0.0.1', port: 50051 }] }];
const withRoute = (route: Record<string, unknown>) => ({ upstreams, routes: [{ id: 'greeter', upstream: 'greeter', ...route }] });
const problemsOf = (route: Record<string, unknown>) => {
  const result = validateConfig(withRoute(route));
  if (result.ok) throw new Error('expected the config to be refused');
  return result.problems;
};
const plannedPaths = (route: Record<string, unknown>) => {
  const result = validateConfig(withRoute(route));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.routePlans[0]!.patterns.map((p) => p.source);
};

const SERVICE = {
  message: 'must be a fully-qualified protobuf service name (package.Service).',
  fix: 'write the service as it is in the .proto file with its package, e.g. "helloworld.Greeter": letters, digits and "_" in dot-separated parts, no "/" or leading "."; put method names in "methods".',
};
const METHOD = {
  message: 'must be a protobuf method name.',
  fix: 'write the method name alone, e.g. "SayHello": letters, digits and "_", no "/" or "." (the service goes in "service").',
};

describe('grpc route match: schema', () => {
  it('accepts the minimal config and fills defaults', () => {
    const result = validateConfig(withRoute({ grpc: { service: 'helloworld.Greeter' } }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.routes[0]!.grpc).toEqual({ service: 'helloworld.Greeter', matchContentType: true });
    expect(result.value.routes[0]!.paths).toBeUndefined();
  });

  it('rejects a wrong type with the exact message', () => {
    expect(problemsOf({ grpc: { service: 'helloworld.Greeter', matchContentType: 'yes' } })).toEqual([
      { path: '/routes/0/grpc/matchContentType', message: 'must be boolean.', fix: 'use a value of type boolean.' },
    ]);
  });

  test.each([['/helloworld.Greeter'], ['helloworld.Greeter/SayHello'], ['.helloworld.Greeter'], ['helloworld..Greeter'], ['hello world.Greeter'], ['1pkg.Greeter'], ['helloworld.*'], ['helloworld.Gre%65ter'], ['']])(
    'refuses the service name %j with the exact message',
    (service) => {
      expect(problemsOf({ grpc: { service } })).toEqual([{ path: '/routes/0/grpc/service', ...SERVICE }]);
    },
  );

  test.each([['SayHello/x'], ['helloworld.Greeter.SayHello'], ['/SayHello'], ['*'], ['Say Hello'], ['']])('refuses the method name %j with the exact message', (method) => {
    expect(problemsOf({ grpc: { service: 'helloworld.Greeter', methods: [method] } })).toEqual([{ path: '/routes/0/grpc/methods/0', ...METHOD }]);
  });

  it('refuses duplicate methods, an empty method list and unknown fields', () => {
    expect(problemsOf({ grpc: { service: 'a.B', methods: ['X', 'X'] } })).toEqual([
      { path: '/routes/0/grpc/methods', message: 'must NOT have duplicate items (items ## 1 and 0 are identical).', fix: 'remove the duplicate items.' },
    ]);
    expect(problemsOf({ grpc: { service: 'a.B', methods: [] } })).toEqual([{ path: '/routes/0/grpc/methods', message: 'must NOT have fewer than 1 items.', fix: 'give at least 1 item(s).' }]);
    expect(problemsOf({ grpc: { service: 'a.B', method: 'X' } })).toEqual([{ path: '/routes/0/grpc', message: 'must NOT have additional properties.', fix: 'remove "method" or check its spelling.' }]);
  });
});

describe('grpc route match: what it compiles to', () => {
  it('a service is the prefix /<service>/*', () => {
    expect(plannedPaths({ grpc: { service: 'helloworld.Greeter' } })).toEqual(['/helloworld.Greeter/*']);
  });

  it('methods are the exact paths /<service>/<method>', () => {
    expect(plannedPaths({ grpc: { service: 'helloworld.Greeter', methods: ['SayHello', 'SayGoodbye'] } })).toEqual(['/helloworld.Greeter/SayHello', '/helloworld.Greeter/SayGoodbye']);
  });

  it('a service without a package is a valid name', () => {
    expect(plannedPaths({ grpc: { service: 'Greeter', methods: ['Say_Hello2'] } })).toEqual(['/Greeter/Say_Hello2']);
  });

  it('rewritePath can send the calls to another service name', () => {
    const result = validateConfig(withRoute({ grpc: { service: 'helloworld.Greeter' }, rewritePath: '/helloworld.v2.Greeter/*' }));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.routePlans[0]!.forwardPath('/helloworld.Greeter/SayHello', { '*': 'SayHello' })).toBe('/helloworld.v2.Greeter/SayHello');
  });
});

describe('grpc route match: conflicts', () => {
  it('refuses paths next to grpc, naming the paths grpc makes', () => {
    expect(problemsOf({ grpc: { service: 'helloworld.Greeter', methods: ['SayHello'] }, paths: ['/helloworld.Greeter/*'] })).toEqual([
      {
        path: '/routes/0/grpc',
        message: 'a route takes either "paths" or "grpc", not both.',
        fix: 'remove "paths" (grpc makes the paths ["/helloworld.Greeter/SayHello"]), or remove "grpc" and write the paths yourself.',
      },
    ]);
  });

  it('refuses a route with neither paths nor grpc', () => {
    expect(problemsOf({})).toEqual([
      { path: '/routes/0', message: 'a route needs "paths" or "grpc".', fix: 'add "paths" (e.g. ["/api/*"]) or "grpc" (e.g. { service: "helloworld.Greeter" }).' },
    ]);
  });

  it('refuses methods, stripPrefix and websocket on a gRPC route', () => {
    expect(problemsOf({ grpc: { service: 'a.B' }, methods: ['POST'], stripPrefix: true, websocket: true })).toEqual([
      { path: '/routes/0/methods', message: 'a gRPC route matches POST only (every gRPC call is a POST), so it takes no "methods".', fix: 'remove "methods".' },
      {
        path: '/routes/0/stripPrefix',
        message: 'stripPrefix would cut the service name off the gRPC path, which the upstream needs.',
        fix: 'remove stripPrefix; to call the service by another name upstream, use rewritePath (e.g. "/helloworld.v2.Greeter/*").',
      },
      { path: '/routes/0/websocket', message: 'a gRPC route matches POST only, and WebSocket handshakes are GET requests.', fix: 'remove websocket, or give the WebSocket paths a route of their own.' },
    ]);
  });

  it('a rewritePath placeholder the grpc paths do not define is refused as for paths', () => {
    expect(problemsOf({ grpc: { service: 'a.B', methods: ['C'] }, rewritePath: '/a.B/*' })).toEqual([
      { path: '/routes/0/rewritePath', message: 'rewritePath ends in "/*" but path "/a.B/C" is not a prefix path.', fix: 'write every path of the route as "/prefix/*", or remove the final "/*" from rewritePath.' },
    ]);
  });
});
