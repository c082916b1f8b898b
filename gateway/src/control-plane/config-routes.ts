/** The whole config document: read, replace (JSON or YAML, with a dry run), and validate without applying. */
import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { ConfigDocument } from '../config/schema';
import type { ConfigService } from './config-service';
import { diffConfigs } from './diff';
import { changeRequest, etag, sendOutcome } from './http';

const wantsYaml = (accept: string | undefined) => !!accept && /\b(application|text)\/(x-)?yaml\b/.test(accept);

export function registerConfigRoutes(app: FastifyInstance, service: ConfigService): void {
  const tags = ['config'];
  app.get('/admin/v1/config', { config: { access: 'read' }, schema: { tags, summary: 'The current config document (YAML with Accept: application/yaml)' } }, async (req, reply) => {
    const cur = await service.current();
    etag(reply, cur.version).header('x-gatehouse-checksum', cur.checksum ?? '');
    if (wantsYaml(req.headers.accept)) return reply.type('application/yaml').send(stringify(cur.document));
    return reply.send(cur.document);
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
      const document = service.validate(req.body);
      const cur = await service.current().catch(() => undefined);
      return reply.send({ valid: true, ...(cur ? { baseVersion: cur.version, diff: diffConfigs(cur.document, document) } : {}) });
    },
  );
}
