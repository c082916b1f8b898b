/**
 * Checking any value against a TypeBox schema (Ajv, filling defaults), with every problem named by
 * its JSON path and a fix. Config documents, process settings and the kit's deployment config use it.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import type { Problem } from '../core/errors';
import { FIELD_VALUE_PATTERN, TOKEN_PATTERN } from './http-fields';
import { GRPC_NAME_MEANINGS } from './grpc-names';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

// verbose: union errors need the parent schema to list the allowed values.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true, verbose: true });
const compiled = new WeakMap<TSchema, ValidateFunction>();

/** A compiled validator for any TypeBox schema (cached per schema object). */
export function validatorFor(schema: TSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** Patterns whose plain meaning says more than the pattern itself. */
const PATTERN_MEANINGS: Record<string, { message: string; fix: string }> = {
  [TOKEN_PATTERN]: {
    message: 'must be an RFC 9110 token (a header name)',
    fix: "use only letters, digits and !#$%&'*+-.^_`|~ (no spaces, colons, CR or LF).",
  },
  [FIELD_VALUE_PATTERN]: {
    message: 'must be a header value without CR, LF, NUL or other control characters',
    fix: 'use visible ASCII characters, spaces and tabs only.',
  },
  ...GRPC_NAME_MEANINGS,
};

function fixFor(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `add the property "${String(p.missingProperty)}".`;
    case 'additionalProperties':
      return `remove "${String(p.additionalProperty)}" or check its spelling.`;
    case 'type':
      return `use a value of type ${String(p.type)}.`;
    case 'enum':
    case 'const':
      return `use one of: ${JSON.stringify(p.allowedValues ?? p.allowedValue)}.`;
    case 'anyOf':
      return 'use one of the allowed values listed in the schema.';
    case 'pattern':
      return PATTERN_MEANINGS[String(p.pattern)]?.fix ?? `use a value matching ${String(p.pattern)}.`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `use a number ${String(p.comparison)} ${String(p.limit)}.`;
    case 'minItems':
      return `give at least ${String(p.limit)} item(s).`;
    case 'maxItems':
      return `give at most ${String(p.limit)} item(s).`;
    case 'minLength':
      return `use at least ${String(p.limit)} character(s).`;
    case 'maxLength':
      return `use at most ${String(p.limit)} character(s).`;
    case 'uniqueItems':
      return 'remove the duplicate items.';
    default:
      return 'correct the value to match the schema.';
  }
}

function messageFor(e: ErrorObject): string {
  return (e.keyword === 'pattern' && PATTERN_MEANINGS[String((e.params as { pattern?: unknown }).pattern)]?.message) || (e.message ?? 'is invalid');
}

/** Turns Ajv errors into problems, dropping the noise Ajv emits for each branch of a union. */
export function ajvProblems(errors: readonly ErrorObject[] | null | undefined, base = ''): Problem[] {
  if (!errors) return [];
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // Literal-union branches each report a `const` error; the single `anyOf` error says it better.
    if ((e.keyword === 'const' || e.keyword === 'type') && anyOfPaths.has(e.instancePath)) continue;
    // A bad key (header names in a name → value map): its own error, below, names it.
    if (e.keyword === 'propertyNames') continue;
    if (e.propertyName !== undefined) {
      const where = `${base}${e.instancePath}/${e.propertyName.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      out.push({ path: where, message: `the name ${JSON.stringify(e.propertyName)} ${messageFor(e)}.`, fix: fixFor(e) });
      continue;
    }
    // `if`/`else` (secret fields) repeats the branch's own error as "must match else schema".
    if (e.keyword === 'if') continue;
    const path = base + e.instancePath;
    const where = path;
    const allowed =
      e.keyword === 'anyOf'
        ? ((e.parentSchema as { anyOf?: { const?: unknown }[] } | undefined)?.anyOf ?? []).map((b) => b.const).filter((v) => v !== undefined)
        : [];
    const message = allowed.length ? `must be one of ${JSON.stringify(allowed)}` : messageFor(e);
    const fix = allowed.length ? `use one of ${JSON.stringify(allowed)}.` : fixFor(e);
    const key = `${where}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: where, message: `${message}.`.replace(/\.\.$/, '.'), fix });
  }
  return out;
}

/** Validates any value against a TypeBox schema; returns a defaults-filled deep copy. */
export function validateAgainst<T>(schema: TSchema, input: unknown, base = ''): ValidationResult<T> {
  const copy = input === undefined ? undefined : structuredClone(input);
  const fn = validatorFor(schema);
  if (fn(copy)) return { ok: true, value: copy as T };
  return { ok: false, problems: ajvProblems(fn.errors, base) };
}

