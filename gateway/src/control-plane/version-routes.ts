/** Config versions: list, read one, roll back to one (a new version with the old content). */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { GatehouseError } from '../core/errors';
import type { ConfigService } from './config-service';
import { actualChecksumInSlices } from '../core/version-checksum';
import { changeRequest, etag, positiveInt, secretsView, sendOutcome } from './http';
import { corruptionOf } from './intact-version';

const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 1000;
const VersionParams = Type.Object({ version: Type.Integer({ minimum: 1 }) });

export function registerVersionRoutes(app: FastifyInstance, service: ConfigService): void {
  const tags = ['versions'];
  const store = service.store;

  app.get(
    '/admin/v1/versions',
    { config: { access: 'read' }, schema: { tags, summary: 'Version heads, newest first (?limit, ?before)', querystring: Type.Object({ limit: Type.Optional(Type.Integer()), before: Type.Optional(Type.Integer()) }) } },
    async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const limit = Math.min(MAX_LIST_LIMIT, positiveInt(q.limit, 'limit', DEFAULT_LIST_LIMIT));
      const before = q.before === undefined ? undefined : positiveInt(q.before, 'before');
      const [head, versions] = await Promise.all([store.head(), store.list({ limit, before })]);
      return etag(reply, head?.version ?? 0).send({ current: head?.version ?? 0, versions });
    },
  );

  app.get('/admin/v1/versions/:version', { config: { access: 'read' }, schema: { tags, summary: 'One version with its document', params: VersionParams } }, async (req, reply) => {
    const n = positiveInt((req.params as { version: string }).version, 'version');
    const view = secretsView(req);
    const v = await store.get(n);
    if (!v) throw new GatehouseError('GW_ERR_RESOURCE_NOT_FOUND', `Version ${n} does not exist (or was removed by retention).`);
    // Served even when tampered (to investigate), but never unmarked: `intact` false means do not reuse it.
    // The checksum is over the stored (sealed) document; the answer shows secrets as placeholders.
    return reply.send({ ...v, document: service.present(v.document, view), intact: (await actualChecksumInSlices(v)) === v.checksum });
  });

  app.get(
    '/admin/v1/versions/:from/diff/:to',
    { config: { access: 'read' }, schema: { tags, summary: 'Field-level diff from one version to another (secrets never shown)', params: Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) }) } },
    async (req, reply) => {
      const p = req.params as { from: string; to: string };
      const [a, b] = [positiveInt(p.from, 'from'), positiveInt(p.to, 'to')];
      const [from, to] = await Promise.all([store.get(a), store.get(b)]);
      for (const [n, v] of [[a, from], [b, to]] as const)
        if (!v) throw new GatehouseError('GW_ERR_RESOURCE_NOT_FOUND', `Version ${n} does not exist (or was removed by retention); list versions with GET /admin/v1/versions.`);
      return reply.send({ from: a, to: b, diff: service.diff(from!.document, to!.document) });
    },
  );

  app.post(
    '/admin/v1/versions/:version/rollback',
    { config: { access: 'write' }, schema: { tags, summary: 'Roll back: a new version with the content of an older one (200 unchanged when it is the current content)', params: VersionParams } },
    async (req, reply) => {
      const n = positiveInt((req.params as { version: string }).version, 'version');
      const old = await store.get(n);
      if (!old) throw new GatehouseError('GW_ERR_RESOURCE_NOT_FOUND', `Version ${n} does not exist (or was removed by retention); list versions with GET /admin/v1/versions.`);
      if ((await actualChecksumInSlices(old)) !== old.checksum) throw await corruptionOf(store, n);
      // The rollback replaces the head wholesale, so it is also the repair of a head that fails its checksum.
      const outcome = await service.change({ ...changeRequest(req, `rollback to version ${n}`), overCorruptHead: true }, () => old.document);
      return sendOutcome(reply, outcome, 201, { rolledBackTo: n });
    },
  );
}
