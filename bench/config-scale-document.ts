/**
 * The config-scale bench's document: `routes` routes and as many consumers, mixed the way large
 * installations are (exact and wildcard hosts, prefix, parameter and regular-expression paths,
 * methods, header matches, route plugins, consumers with key-auth credentials), all to one upstream.
 */

/** Routes that carry key-auth: each builds its own consumer index, so they are few (see docs/BENCHMARKS.md). */
const KEY_AUTH_ROUTES = 10;

/** One route of the mix; `served(i)` is a request it answers. */
export function scaleRoute(i: number): Record<string, unknown> {
  const id = `r${i}`;
  switch (i % 8) {
    case 0:
      return { id, paths: [`/svc${i}/*`], upstream: 'bench' };
    case 1:
      return { id, paths: [`/svc${i}/users/:id`], methods: ['GET', 'HEAD'], upstream: 'bench' };
    case 2:
      return { id, hosts: [`api${i}.example.com`], paths: [`/svc${i}/health`], upstream: 'bench' };
    case 3:
      return { id, hosts: [`*.t${i}.example.com`], paths: [`/svc${i}/*`], upstream: 'bench' };
    case 4:
      return { id, paths: [`/svc${i}/orders/:order/items/:item`], methods: ['GET', 'PUT'], headers: [{ name: 'x-tenant', regex: '^t[0-9]+$' }], upstream: 'bench' };
    case 5:
      return { id, paths: [`~^/re${i}/[0-9]+$`], upstream: 'bench' };
    case 6:
      return { id, paths: [`/svc${i}/cors/*`], plugins: { cors: { allowOrigins: ['https://app.example.com'] } }, upstream: 'bench' };
    default:
      return i < KEY_AUTH_ROUTES * 8 ? { id, paths: [`/svc${i}/private/*`], plugins: { 'key-auth': {} }, upstream: 'bench' } : { id, paths: [`/svc${i}`], headers: [{ name: 'x-canary', absent: true }], upstream: 'bench' };
  }
}

/** A consumer with a key-auth credential. */
export function scaleConsumer(i: number): Record<string, unknown> {
  return { id: `c${i}`, labels: { tier: i % 2 ? 'gold' : 'free' }, plugins: { 'key-auth': { key: `bench-key-${i}-0123456789abcdef` } } };
}

/** The whole document. */
export function scaleDocument(upstreamPort: number, routes: number): object {
  return {
    upstreams: [{ id: 'bench', targets: [{ host: '127.0.0.1', port: upstreamPort }] }],
    routes: Array.from({ length: routes }, (_, i) => scaleRoute(i)),
    consumers: Array.from({ length: routes }, (_, i) => scaleConsumer(i)),
    plugins: {},
  };
}

/** Paths of the mix that plain GETs are served on (the steady load rotates through them). */
export function servedPaths(routes: number): string[] {
  const paths: string[] = [];
  for (let i = 0; i < routes && paths.length < 64; i += Math.max(1, Math.floor(routes / 64))) {
    const base = i - (i % 8);
    paths.push(`/svc${base}/anything`, `/svc${base + 1}/users/42`);
  }
  return paths;
}
