/**
 * The write path of secret fields, run on every new document before it is stored: a placeholder
 * takes back the stored value at its place, a plaintext becomes an envelope (the stored envelope
 * when the plaintext is unchanged, so identical content keeps an identical document and checksum),
 * an envelope must decrypt, a reference is kept. The store, the last-known-good file and S3 only
 * ever see envelopes and references.
 */
import { parseSecretValue, SECRET_PLACEHOLDER, secretFields } from '../../config/secrets';
import type { GatewayConfig } from '../../config/schema';
import { GatehouseError, type Problem } from '../../core/errors';
import { envName } from '../../settings';
import type { SecretContext } from './context';

export interface SealOptions {
  /**
   * Keep the stored envelope of an unchanged plaintext (default true). Off for viewers' validate
   * calls, so a diff cannot confirm a guessed secret.
   */
  readonly reuse?: boolean;
}

/** Seals the secret fields of `next` (a validated copy this call changes) against `current`; returns the problems. */
export function sealSecrets(ctx: SecretContext, next: GatewayConfig, current: GatewayConfig, options: SealOptions = {}): Problem[] {
  const fields = secretFields(next, ctx.slots);
  if (!fields.length) return [];
  const stored = new Map(secretFields(current, ctx.slots).map((f) => [f.place, f.value]));
  const { keyring } = ctx;
  const problems: Problem[] = [];
  for (const field of fields) {
    const before = stored.get(field.place);
    const value = parseSecretValue(field.value);
    if (value.kind === 'placeholder') {
      if (before !== undefined) field.set(before);
      else
        problems.push({
          path: field.pointer,
          message: `"${SECRET_PLACEHOLDER}" stands for the stored secret, but nothing is stored at this place.`,
          fix: 'send the secret itself (or a $env:// or $secret://aws/ reference) instead of the placeholder.',
        });
    } else if (value.kind === 'envelope') {
      if (field.value === before) continue;
      const opened = keyring?.decrypt(field.value);
      if (!opened?.ok)
        problems.push({
          path: field.pointer,
          message: `the encrypted value cannot be decrypted: ${opened?.reason ?? 'this control plane has no secrets key'}.`,
          fix: `send the secret in plaintext (it is encrypted when stored), or add its key to ${envName('secretsKeys')}.`,
        });
    } else if (value.kind === 'plaintext') {
      if (!keyring) {
        problems.push({
          path: field.pointer,
          message: 'this control plane has no secrets key, so it cannot store a secret inline.',
          fix: `set ${envName('secretsKeys')} (docs/RUNBOOK.md, "Secrets keys"), or give a reference: $env://NAME or $secret://aws/<name>#<json-key>.`,
        });
        continue;
      }
      const stillStored = options.reuse !== false && before !== undefined ? keyring.decrypt(before) : undefined;
      field.set(stillStored?.ok && stillStored.value === value.value ? before! : keyring.encrypt(value.value));
    }
  }
  return problems;
}

/** A copy of `document` with every envelope not under the primary key re-encrypted under it, and how many were. */
export function reencryptSecrets(ctx: SecretContext, document: GatewayConfig): { document: GatewayConfig; reencrypted: number } {
  const { keyring } = ctx;
  if (!keyring) throw new GatehouseError('GW_ERR_SECRETS_KEY_MISSING');
  const copy = structuredClone(document);
  let reencrypted = 0;
  for (const field of secretFields(copy, ctx.slots)) {
    const value = parseSecretValue(field.value);
    if (value.kind !== 'envelope' || value.kid === keyring.primaryKid) continue;
    const opened = keyring.decrypt(field.value);
    if (!opened.ok) throw new GatehouseError('GW_ERR_SECRET_UNREADABLE', `${field.pointer}: ${opened.reason}.`);
    field.set(keyring.encrypt(opened.value));
    reencrypted++;
  }
  return { document: copy, reencrypted };
}
