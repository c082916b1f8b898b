/** Upstreams: one still named by a route cannot be deleted. */
import { Upstream } from '../../config/schema';
import { arrayResource } from './resource';

export const upstreams = arrayResource('upstreams', 'upstream', Upstream, (doc, id) =>
  doc.routes.flatMap((r, i) =>
    r.upstream === id
      ? [{ path: `/routes/${i}/upstream`, message: `route "${r.id}" uses upstream "${id}".`, fix: `point route "${r.id}" at another upstream or delete it first.` }]
      : [],
  ),
);
