/**
 * The read path of secret fields: every admin read shows inline secrets as "(secret)", to every
 * role; an admin may ask for plaintext explicitly. References carry no secret and are shown as they
 * are, so a dump applied unchanged keeps them too.
 */
import { isReference, parseSecretValue, SECRET_PLACEHOLDER, secretFields } from '../../config/secrets';
import type { GatewayConfig } from '../../config/schema';
import { GatehouseError } from '../../core/errors';
import type { SecretContext } from './context';

/** How a read shows secrets: `placeholder` for everyone, `plaintext` for admins who ask (`?secrets=plaintext`). */
export type SecretsView = 'placeholder' | 'plaintext';

/** A copy of `document` (or the document itself when it holds no secret) as `view` shows it. */
export function presentSecrets(ctx: SecretContext, document: GatewayConfig, view: SecretsView): GatewayConfig {
  if (!secretFields(document, ctx.slots).length) return document;
  const copy = structuredClone(document);
  for (const field of secretFields(copy, ctx.slots)) {
    const value = parseSecretValue(field.value);
    if (isReference(value)) continue;
    if (view === 'placeholder' || value.kind !== 'envelope') {
      field.set(SECRET_PLACEHOLDER);
      continue;
    }
    const opened = ctx.keyring?.decrypt(field.value);
    if (!opened?.ok) throw new GatehouseError('GW_ERR_SECRET_UNREADABLE', `${field.pointer}: ${opened?.reason ?? 'this control plane has no secrets key'}.`);
    field.set(opened.value);
  }
  return copy;
}
