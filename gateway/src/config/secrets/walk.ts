/**
 * The one walker that finds secret fields in a config document: it follows the document schema and,
 * at each plugin slot, the plugin's own schema (route, global or consumer), and reports every string
 * whose schema is marked by `Secret(...)`. Control plane (encrypt, hide) and data plane (decrypt,
 * resolve) both find secrets only through here, so a new secret field needs nothing but its mark.
 */
import type { TSchema } from '@sinclair/typebox';
import { ConfigDocument, PLUGIN_SCOPE, type PluginScope } from '../schema';
import { isSecretSchema } from './schema';

/** The schema of a plugin slot (`consumer` scope: the per-consumer schema), or undefined for unknown plugins. */
export type SlotSchemas = (scope: PluginScope, name: string) => TSchema | undefined;

export interface SecretField {
  /** JSON pointer, e.g. `/consumers/3/plugins/jwt-auth/secret` (for messages). */
  readonly pointer: string;
  /** Where the field is by ids rather than positions, e.g. `/consumers/[alice]/plugins/jwt-auth/secret`: stable when items move. */
  readonly place: string;
  readonly value: string;
  /** Replaces the value in the walked document; undefined removes the field. */
  set(value: string | undefined): void;
}

type Holder = Record<string, unknown> | unknown[];
type Schema = TSchema & Record<string, unknown>;

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
const idOf = (item: unknown) => (item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string' ? `[${(item as { id: string }).id}]` : undefined);
const branches = (s: Schema) => [...((s.anyOf as Schema[]) ?? []), ...((s.allOf as Schema[]) ?? []), ...((s.oneOf as Schema[]) ?? [])];

// Whether a schema can hold a secret at all (a plugin slot may): lets the walk skip most of a large document.
const reaches = new WeakMap<object, boolean>();
function mayHoldSecret(s: Schema): boolean {
  const known = reaches.get(s);
  if (known !== undefined) return known;
  reaches.set(s, false); // cycles (none today) end here
  const children = [
    ...branches(s),
    ...Object.values((s.properties as Record<string, Schema>) ?? {}),
    ...Object.values((s.patternProperties as Record<string, Schema>) ?? {}),
    ...(s.items && typeof s.items === 'object' ? [s.items as Schema] : []),
    ...(s.additionalProperties && typeof s.additionalProperties === 'object' ? [s.additionalProperties as Schema] : []),
  ];
  const result = isSecretSchema(s) || s[PLUGIN_SCOPE] !== undefined || children.some(mayHoldSecret);
  reaches.set(s, result);
  return result;
}

class Walk {
  readonly fields: SecretField[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly slots: SlotSchemas) {}

  visit(s: Schema, value: unknown, pointer: string, place: string, holder?: Holder, key?: string | number): void {
    if (isSecretSchema(s)) {
      if (typeof value === 'string' && holder && !this.seen.has(pointer)) {
        this.seen.add(pointer);
        const h = holder as Record<string | number, unknown>;
        this.fields.push({ pointer, place, value, set: (v) => (v === undefined ? delete h[key!] : (h[key!] = v)) });
      }
      return;
    }
    if (value === null || typeof value !== 'object' || !mayHoldSecret(s)) return;
    const scope = s[PLUGIN_SCOPE] as PluginScope | undefined;
    if (scope) {
      for (const [name, conf] of Object.entries(value)) {
        const slot = this.slots(scope, name) as Schema | undefined;
        if (slot) this.visit(slot, conf, `${pointer}/${escape(name)}`, `${place}/${escape(name)}`, value as Holder, name);
      }
      return;
    }
    for (const b of branches(s)) this.visit(b, value, pointer, place, holder, key);
    if (Array.isArray(value)) {
      const items = s.items as Schema | undefined;
      if (items && typeof items === 'object') value.forEach((item, i) => this.visit(items, item, `${pointer}/${i}`, `${place}/${idOf(item) ?? i}`, value, i));
      return;
    }
    const props = (s.properties as Record<string, Schema>) ?? {};
    const patterns = Object.values((s.patternProperties as Record<string, Schema>) ?? {});
    const extra = s.additionalProperties && typeof s.additionalProperties === 'object' ? (s.additionalProperties as Schema) : undefined;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const child = props[k] ?? patterns[0] ?? extra;
      if (child) this.visit(child, v, `${pointer}/${escape(k)}`, `${place}/${escape(k)}`, value as Holder, k);
    }
  }
}

/** Every secret field of `document` (schema: the config document unless given), in document order. */
export function secretFields(document: unknown, slots: SlotSchemas, schema: TSchema = ConfigDocument): SecretField[] {
  const walk = new Walk(slots);
  walk.visit(schema as Schema, document, '', '');
  return walk.fields;
}
