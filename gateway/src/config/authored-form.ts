/**
 * A config document as a person would write it: every value equal to its schema default left out,
 * and keys in a stable order (the schema's property order, then the rest sorted), so that a dump
 * committed to git changes only where the config did. The defaults come from the schema itself
 * (the document schema and, at plugin slots, each plugin's own), never from a list kept by hand.
 * Validating the result fills the same defaults back in: the authored form means the same config.
 */
import type { TSchema } from '@sinclair/typebox';
import { canonicalJson } from '../core/checksum';
import { ConfigDocument, PLUGIN_SCOPE, type GatewayConfig, type PluginScope } from './schema';

/** The schema of a plugin slot, or undefined when unknown (its config is then kept as it is). */
export type SlotSchemaLookup = (scope: PluginScope, name: string) => TSchema | undefined;

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The object branch of a union that describes `value` best (all its keys are properties), or the schema itself. */
function branchFor(schema: Schema, value: Record<string, unknown>): Schema {
  const branches = [...((schema.anyOf as Schema[]) ?? []), ...((schema.oneOf as Schema[]) ?? [])].filter((b) => isObject(b.properties));
  return branches.find((b) => Object.keys(value).every((k) => k in (b.properties as Schema))) ?? branches[0] ?? schema;
}

/** The schema of `key` in an object schema: a property, a matching pattern property, or additionalProperties. */
function childSchema(schema: Schema, key: string): Schema | undefined {
  const props = schema.properties as Record<string, Schema> | undefined;
  if (props?.[key]) return props[key];
  for (const [pattern, sub] of Object.entries((schema.patternProperties as Record<string, Schema>) ?? {})) if (new RegExp(pattern, 'u').test(key)) return sub;
  return isObject(schema.additionalProperties) ? (schema.additionalProperties as Schema) : undefined;
}

function strip(schema: Schema | undefined, value: unknown, slots: SlotSchemaLookup | undefined): unknown {
  if (!schema) return value;
  if (Array.isArray(value)) {
    const items = isObject(schema.items) ? (schema.items as Schema) : undefined;
    return value.map((v) => strip(items, v, slots));
  }
  if (!isObject(value)) return value;
  const scope = schema[PLUGIN_SCOPE] as PluginScope | undefined;
  if (scope) {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(value).sort()) out[name] = strip(slots?.(scope, name) as Schema | undefined, value[name], slots);
    return out;
  }
  const s = branchFor(schema, value);
  const order = Object.keys((s.properties as Schema) ?? {});
  const keys = [...order.filter((k) => k in value), ...Object.keys(value).filter((k) => !order.includes(k)).sort()];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const sub = childSchema(s, key);
    const v = strip(sub, value[key], slots);
    if (sub && sub.default !== undefined && canonicalJson(v) === canonicalJson(strip(sub, sub.default, slots))) continue;
    out[key] = v;
  }
  return out;
}

/** `document` without its defaults and in stable key order (a new object; the input is not changed). */
export function authoredForm(document: GatewayConfig | Record<string, unknown>, slots?: SlotSchemaLookup): Record<string, unknown> {
  return strip(ConfigDocument as unknown as Schema, document, slots) as Record<string, unknown>;
}
