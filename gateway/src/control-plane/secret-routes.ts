/** Secrets: re-encrypt every stored envelope under the newest key (rotation, docs/RUNBOOK.md). */
import type { FastifyInstance } from 'fastify';
import type { ConfigService } from './config-service';
import { changeRequest, sendOutcome } from './http';

export function registerSecretRoutes(app: FastifyInstance, service: ConfigService): void {
  app.post(
    '/admin/v1/secrets/rotate',
    { config: { access: 'write' }, schema: { tags: ['secrets'], summary: 'Re-encrypt every inline secret under the first key of GATEHOUSE_SECRETS_KEYS, as a new version' } },
    async (req, reply) => {
      const { outcome, reencrypted } = await service.rotateSecrets(changeRequest(req, 'rotate secrets to the first key'));
      return sendOutcome(reply, outcome, 201, { keyId: service.keyId, reencrypted });
    },
  );
}
