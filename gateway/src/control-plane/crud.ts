/** The one CRUD implementation every admin resource shares. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { GatehouseError } from '../core/errors';
import type { ConfigService } from './config-service';
import { changeRequest, etag, secretsView, sendOutcome } from './http';
import type { ResourceKind } from './resources/resource';
import { KnownChange } from './changed-parts';

const IdParams = Type.Object({ id: Type.String() });

/** Registers list, get, create, replace and delete for one resource kind under `/admin/v1/<name>`. */
export function registerResource(app: FastifyInstance, kind: ResourceKind, service: ConfigService): void {
  const base = `/admin/v1/${kind.name}`;
  const tags = [kind.name];
  const notFound = (id: string) => new GatehouseError('GW_ERR_RESOURCE_NOT_FOUND', `There is no ${kind.singular} "${id}".`);
  const idOf = (req: FastifyRequest) => (req.params as { id: string }).id;

  // Reads and write answers show secrets as "(secret)"; an admin's ?secrets=plaintext shows them in clear.
  // A write answer shows its one item, so only that item is copied to hide its secrets.
  const shownItem = (doc: Parameters<typeof kind.get>[0], id: string) => kind.get(service.present(kind.only(doc, id), 'placeholder'), id);

  app.get(base, { config: { access: 'read' }, schema: { tags, summary: `List ${kind.name}` } }, async (req, reply) => {
    const view = secretsView(req);
    const cur = await service.current();
    return etag(reply, cur.version).send({ version: cur.version, items: kind.list(service.present(cur.document, view)) });
  });

  app.get(`${base}/:id`, { config: { access: 'read' }, schema: { tags, summary: `Get one ${kind.singular}`, params: IdParams } }, async (req, reply) => {
    const view = secretsView(req);
    const cur = await service.current();
    const item = kind.get(service.present(cur.document, view), idOf(req));
    if (item === undefined) throw notFound(idOf(req));
    return etag(reply, cur.version).send({ version: cur.version, [kind.singular]: item });
  });

  if (kind.postable)
    app.post(base, { config: { access: 'write' }, schema: { tags, summary: `Create a ${kind.singular}`, body: kind.schema } }, async (req, reply) => {
      const id = kind.idFromBody(req.body);
      if (id === undefined)
        throw new GatehouseError('GW_ERR_CONFIG_INVALID', undefined, [{ path: '/id', message: `the ${kind.singular} has no id.`, fix: 'add a string id.' }]);
      const outcome = await service.change(changeRequest(req, `create ${kind.singular} ${id}`), (doc) => {
        if (kind.get(doc, id) !== undefined) throw new GatehouseError('GW_ERR_RESOURCE_EXISTS', `${kind.singular} "${id}" exists.`);
        return KnownChange.ofOne(doc, kind.put(doc, id, req.body), kind.key, id);
      });
      return sendOutcome(reply, outcome, 201, { [kind.singular]: shownItem(outcome.dryRun ? outcome.document : outcome.version.document, id) });
    });

  app.put(`${base}/:id`, { config: { access: 'write' }, schema: { tags, summary: `Create or replace a ${kind.singular}`, params: IdParams, body: kind.schema } }, async (req, reply) => {
    const id = idOf(req);
    const problems = kind.checkBody(req.body, id);
    if (problems.length) throw new GatehouseError('GW_ERR_CONFIG_INVALID', undefined, problems);
    let created = false;
    const outcome = await service.change(changeRequest(req, `put ${kind.singular} ${id}`), (doc) => {
      created = kind.get(doc, id) === undefined;
      return KnownChange.ofOne(doc, kind.put(doc, id, req.body), kind.key, id);
    });
    const doc = outcome.dryRun ? outcome.document : outcome.version.document;
    return sendOutcome(reply, outcome, created ? 201 : 200, { [kind.singular]: shownItem(doc, id) });
  });

  app.delete(`${base}/:id`, { config: { access: 'write' }, schema: { tags, summary: `Delete a ${kind.singular}`, params: IdParams } }, async (req, reply) => {
    const id = idOf(req);
    const outcome = await service.change(changeRequest(req, `delete ${kind.singular} ${id}`), (doc) => {
      if (kind.get(doc, id) === undefined) throw notFound(id);
      const inUse = kind.checkDelete(doc, id);
      if (inUse.length) throw new GatehouseError('GW_ERR_RESOURCE_IN_USE', `${kind.singular} "${id}" is used by ${inUse.length} item(s).`, inUse);
      return KnownChange.ofOne(doc, kind.remove(doc, id), kind.key, id);
    });
    return sendOutcome(reply, outcome, 200);
  });
}
