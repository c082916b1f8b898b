/**
 * 10,000 routes of every kind compile and every one of them is reachable with the right
 * parameters. No timing here: compile time and match rate are measured in bench/.
 */
import { TargetRegistry } from '../../../../gateway/src/data-plane/upstream';
import { compileRoutes } from './config';

const ROUTES = 10_000;

function routeFor(i: number): Record<string, unknown> {
  switch (i % 5) {
    case 0:
      return { id: `exact-${i}`, paths: [`/svc${i}/items`] };
    case 1:
      return { id: `prefix-${i}`, paths: [`/svc${i}/*`] };
    case 2:
      return { id: `param-${i}`, paths: [`/users${i}/:id/orders/:order`] };
    case 3:
      return { id: `host-${i}`, paths: ['/*'], hosts: [`h${i}.example.com`] };
    default:
      return { id: `method-${i}`, paths: [`/svc${i - 4}/items`], methods: ['DELETE'], priority: 1 };
  }
}

test('10,000 routes compile and each matches exactly its own requests', () => {
  const registry = new TargetRegistry();
  const routes = Array.from({ length: ROUTES }, (_, i) => routeFor(i));
  routes.push({ id: 'regex', paths: ['~^/r/(?<n>[0-9]+)$'] }, { id: 'fallback', paths: ['/nowhere'] });
  const s = compileRoutes(registry, routes);
  expect(s.routeCount).toBe(ROUTES + 2);

  let checked = 0;
  for (let i = 0; i < ROUTES; i++) {
    const m = (method: string, path: string, host?: string) => s.match(method, host, path, {});
    switch (i % 5) {
      case 0:
        expect(m('GET', `/svc${i}/items`)?.route.id).toBe(`exact-${i}`);
        break;
      case 1: {
        const hit = m('GET', `/svc${i}/a/b`);
        expect(hit?.route.id).toBe(`prefix-${i}`);
        expect(hit?.params['*']).toBe('a/b');
        break;
      }
      case 2: {
        const hit = m('POST', `/users${i}/u${i}/orders/o${i}`);
        expect(hit?.route.id).toBe(`param-${i}`);
        expect({ ...hit?.params }).toEqual({ id: `u${i}`, order: `o${i}` });
        break;
      }
      case 3:
        expect(m('GET', `/anything/${i}`, `h${i}.example.com:443`)?.route.id).toBe(`host-${i}`);
        break;
      default:
        // DELETE reaches the higher-priority method route; GET falls through to the exact route.
        expect(m('DELETE', `/svc${i - 4}/items`)?.route.id).toBe(`method-${i}`);
        expect(m('GET', `/svc${i - 4}/items`)?.route.id).toBe(`exact-${i - 4}`);
    }
    checked++;
  }
  expect(checked).toBe(ROUTES);
  const regex = s.match('GET', undefined, '/r/12', {});
  expect(regex?.route.id).toBe('regex');
  expect({ ...regex?.params }).toEqual({ n: '12' });
  expect(s.match('GET', undefined, '/svc0/other', {})).toBeUndefined();
  expect(s.match('GET', 'nobody.example.com', '/nowhere', {})?.route.id).toBe('fallback');
  expect(s.match('GET', undefined, '/svc1/items', {})?.route.id).toBe('prefix-1');
  return registry.closeAll();
});
