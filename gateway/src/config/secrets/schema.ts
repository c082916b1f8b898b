/**
 * `Secret(...)`: marks a string field of a schema as a secret. That mark is all a feature needs:
 * the control plane encrypts marked fields before they are stored and hides them on reads, and the
 * data plane decrypts or resolves them before it compiles a snapshot (see `walk.ts`).
 */
import { Type, type TSchema, type TString } from '@sinclair/typebox';
import { SPECIAL_PREFIX, SPECIAL_SYNTAX } from './value';

/** The annotation `Secret` puts on a schema. */
export const SECRET_MARK = 'secret';

const SPECIAL_MAX_LENGTH = 16_384;

/**
 * A secret string field. A plaintext value must satisfy `inner`; a reference (`$env://NAME`,
 * `$secret://aws/<name>#<json-key>`), an envelope (`$enc:v1:…`) or the placeholder `(secret)` is
 * checked against its own syntax instead.
 */
export function Secret(inner: TString) {
  const { description, ...plain } = inner;
  return Type.Unsafe<string>({
    type: 'string',
    [SECRET_MARK]: true,
    description: `${description ?? 'secret'} (a secret: stored encrypted, read as "(secret)"; or a "$env://" / "$secret://aws/" reference)`,
    if: { pattern: SPECIAL_PREFIX },
    then: { pattern: `^(${SPECIAL_SYNTAX})$`, maxLength: SPECIAL_MAX_LENGTH },
    else: plain,
  });
}

/** True when `schema` was made by `Secret`. */
export const isSecretSchema = (schema: TSchema | undefined): boolean => !!schema && (schema as Record<string, unknown>)[SECRET_MARK] === true;
