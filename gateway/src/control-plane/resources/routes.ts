/** Routes: no checks beyond the document's own (the upstream a route names must exist). */
import { Route } from '../../config/schema';
import { arrayResource } from './resource';

export const routes = arrayResource('routes', 'route', Route);
