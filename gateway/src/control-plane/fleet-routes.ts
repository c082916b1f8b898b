/** `GET /admin/v1/nodes`: the fleet view (every data plane with its config version and state). */
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../core/errors';
import type { FleetView } from './fleet';

/** Registers the route; without a fleet view it answers 409 naming the setting to set. */
export function registerFleetRoutes(app: FastifyInstance, fleet: FleetView | undefined): void {
  app.get(
    '/admin/v1/nodes',
    { config: { access: 'read' }, schema: { tags: ['fleet'], summary: 'Data planes from their heartbeats: config version, source, last sync, errors, and state (ok, lagging, quiet)' } },
    async () => {
      if (!fleet) throw new GatehouseError('GW_ERR_FLEET_NOT_CONFIGURED');
      try {
        return await fleet.read();
      } catch (err) {
        throw new GatehouseError('GW_ERR_FLEET_UNAVAILABLE', undefined, [], err);
      }
    },
  );
}
