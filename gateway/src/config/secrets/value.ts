/**
 * What a secret field may hold, and how to tell the forms apart: a plaintext value (only ever on the
 * way in, or in a config file a data plane reads directly), an encrypted envelope (what the store,
 * the last-known-good file and S3 hold), a reference resolved by the data plane, or the placeholder
 * every read shows instead of the value.
 */

/** How often referenced values (AWS Secrets Manager) are fetched again by default. */
export const DEFAULT_SECRETS_REFRESH_MS = 300_000;

/** Shown instead of a secret on every admin read; sent back on a write, it keeps the stored value. */
export const SECRET_PLACEHOLDER = '(secret)';

const ENV = /^\$env:\/\/([A-Za-z_][A-Za-z0-9_]*)$/;
const AWS = /^\$secret:\/\/aws\/([A-Za-z0-9/_+=.@:-]+?)(?:#([\x21-\x7e]+))?$/;
const ENVELOPE = /^\$enc:v1:([A-Za-z0-9._-]{1,64}):([A-Za-z0-9_-]+)$/;

/** Anything that is not plaintext starts like this; the schema checks such values against `SPECIAL_SYNTAX`. */
export const SPECIAL_PREFIX = '^(\\$env://|\\$secret://|\\$enc:|\\(secret\\)$)';
/** The full syntax of references, envelopes and the placeholder. */
export const SPECIAL_SYNTAX = [ENV, AWS, ENVELOPE, /^\(secret\)$/].map((r) => `(${r.source})`).join('|');

export type SecretValue =
  | { readonly kind: 'plaintext'; readonly value: string }
  | { readonly kind: 'placeholder' }
  | { readonly kind: 'envelope'; readonly kid: string; readonly payload: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'aws'; readonly secretId: string; readonly jsonKey?: string };

/** Classifies a stored or submitted secret value. */
export function parseSecretValue(text: string): SecretValue {
  if (text === SECRET_PLACEHOLDER) return { kind: 'placeholder' };
  let m = ENVELOPE.exec(text);
  if (m) return { kind: 'envelope', kid: m[1]!, payload: m[2]! };
  m = ENV.exec(text);
  if (m) return { kind: 'env', name: m[1]! };
  m = AWS.exec(text);
  if (m) return m[2] === undefined ? { kind: 'aws', secretId: m[1]! } : { kind: 'aws', secretId: m[1]!, jsonKey: m[2] };
  return { kind: 'plaintext', value: text };
}

/** True for `$env://` and `$secret://` references (which carry no secret and are shown as they are). */
export const isReference = (v: SecretValue): v is Extract<SecretValue, { kind: 'env' | 'aws' }> => v.kind === 'env' || v.kind === 'aws';
