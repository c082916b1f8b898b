/** The whole config document: read, replace (JSON or YAML, with a dry run), and validate without applying. */
import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { ConfigDocument } from '../config/schema';
import type { ConfigService } from './config-service';
import { changeRequest, etag, secretsView, sendOutcome } from './http';

const wantsYaml = (accept: string | undefined) => !!accept && /\b(application|text)\/(x-)?yaml\b/.test(accept);

export function registerConfigRoutes(app: FastifyInstance, service: ConfigService): void {
  const tags = ['config'];
  app.get('/admin/v1/config', { config: { access: 'read' }, schema: { tags, summary: 'The current config document (YAML with Accept: application/yaml); secrets show as "(secret)" unless an admin asks ?secrets=plaintext; ?defaults=omit leaves out schema defaults, keys in stable order' } }, async (req, reply) => {
    const view = secretsView(req);
    const cur = await service.current();
    const shown = service.present(cur.document, view);
    const document = (req.query as { defaults?: string }).defaults === 'omit' ? service.authored(shown) : shown;
    etag(reply, cur.version).header('x-gatehouse-checksum', cur.checksum ?? '');
    if (wantsYaml(req.headers.accept)) return reply.type('application/yaml').send(stringify(document));
    return reply.send(document);
  });

  app.put(
    '/admin/v1/config',
    { config: { access: 'write' }, schema: { tags, summary: 'Replace the whole config (?dryRun=true returns the diff only)', body: ConfigDocument } },
    async (req, reply) => {
      // The whole document comes from the body, so nothing is built on the head: this may replace a tampered one.
      const outcome = await service.change({ ...changeRequest(req, 'replace the whole config'), overCorruptHead: true }, () => req.body);
      return sendOutcome(reply, outcome, 200);
    },
  );

  app.post(
    '/admin/v1/validate',
    { config: { access: 'read' }, schema: { tags, summary: 'Validate a config document and diff it against the current one, without applying', body: ConfigDocument } },
    async (req, reply) => {
      // Viewers may validate too: for them an unchanged secret still counts as changed, so the diff is no oracle for guesses.
      const { document, base } = await service.check(req.body, { reuse: req.admin?.role === 'admin' });
      return reply.send({ valid: true, ...(base ? { baseVersion: base.version, diff: service.diff(base.document, document) } : {}) });
    },
  );
}
