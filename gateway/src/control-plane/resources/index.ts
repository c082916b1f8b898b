/** The admin resources served by the shared CRUD. */
export { routes } from './routes';
export { upstreams } from './upstreams';
export { consumers } from './consumers';
export { plugins } from './plugins';
export { arrayResource, type ResourceKind } from './resource';
