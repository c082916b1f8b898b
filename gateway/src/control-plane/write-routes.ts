/** Write records: whether a write committed, and which version it produced (asked after GW_ERR_STORE_TIMEOUT). */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { GatehouseError } from '../core/errors';
import type { ConfigStore } from '../store/types';

export function registerWriteRoutes(app: FastifyInstance, store: Pick<ConfigStore, 'findWrite'>): void {
  app.get(
    '/admin/v1/writes/:id',
    { config: { access: 'read' }, schema: { tags: ['writes'], summary: 'Whether a write committed (waits for a write still in progress)', params: Type.Object({ id: Type.String() }) } },
    async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const record = await store.findWrite(id);
      if (!record) throw new GatehouseError('GW_ERR_WRITE_NOT_FOUND', `(write ${id})`);
      return reply.send({ ...record, committed: true });
    },
  );
}
