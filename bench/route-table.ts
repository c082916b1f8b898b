/**
 * A large, varied route table for the routes section: per service a prefix route, a route with one
 * parameter, an exact route and a route with two parameters, some limited by method, all to one upstream.
 */
import { benchConfig } from './gateway';

export const LARGE_ROUTE_COUNT = 10_000;
/** The path the routes section requests: deep in the table, matched by a parameter route. */
export const ROUTED_PATH = '/svc-5001/users/42';
/** Index of the route that matches ROUTED_PATH. */
const ROUTED_INDEX = 5001;

function route(i: number): object {
  const svc = `/svc-${i}`;
  switch (i % 4) {
    case 0:
      return { id: `r${i}`, paths: [`${svc}/*`], upstream: 'bench' };
    case 1:
      return { id: `r${i}`, paths: [`${svc}/users/:id`], methods: ['GET', 'HEAD'], upstream: 'bench' };
    case 2:
      return { id: `r${i}`, paths: [`${svc}/health`], upstream: 'bench' };
    default:
      return { id: `r${i}`, paths: [`${svc}/orders/:orderId/items/:itemId`], methods: ['GET', 'PUT', 'DELETE'], upstream: 'bench' };
  }
}

/** The same route as in the large table that matches ROUTED_PATH, alone: only the table size differs. */
export function matchedRouteOnlyConfig(upstreamPort: number): object {
  return benchConfig(upstreamPort, [route(ROUTED_INDEX)]);
}

/** A config with `count` routes of the mix above, to the bench upstream. */
export function largeRouteConfig(upstreamPort: number, count = LARGE_ROUTE_COUNT): object {
  return benchConfig(upstreamPort, Array.from({ length: count }, (_, i) => route(i)));
}
