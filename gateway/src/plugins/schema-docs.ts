/**
 * Renders each plugin's schema as a Markdown table for docs/plugins.md (`npm run docs:plugins`
 * rewrites the tables between `<!-- schema:<plugin> -->` markers; a test keeps them in step).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { BUILTIN_PLUGINS } from './builtin';

interface Row {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly def?: unknown;
  readonly description: string;
}

const pipe = (s: string) => s.replace(/\|/g, '\\|');

function typeOf(s: TSchema): string {
  if (s.anyOf) {
    const consts = (s.anyOf as TSchema[]).map((b) => b.const as unknown);
    if (consts.every((c) => c !== undefined)) return consts.map((c) => JSON.stringify(c)).join(' or ');
    return (s.anyOf as TSchema[]).map(typeOf).join(' or ');
  }
  if (s.type === 'array') return `array of ${typeOf(s.items as TSchema)}`;
  if (s.type === 'object' && s.patternProperties) return `map of name → ${typeOf(Object.values(s.patternProperties as Record<string, TSchema>)[0]!)}`;
  if (s.type === 'integer' || s.type === 'number') {
    const range = s.minimum !== undefined && s.maximum !== undefined ? ` ${s.minimum as number}–${s.maximum as number}` : s.minimum !== undefined ? ` ≥ ${s.minimum as number}` : '';
    return `${s.type as string}${range}`;
  }
  return String(s.type ?? 'any');
}

function rows(schema: TSchema, prefix = ''): Row[] {
  const out: Row[] = [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [key, prop] of Object.entries((schema.properties ?? {}) as Record<string, TSchema>)) {
    const name = prefix + key;
    const item = prop.type === 'array' ? (prop.items as TSchema) : undefined;
    const nested = prop.type === 'object' && prop.properties ? prop : item?.type === 'object' && item.properties ? item : undefined;
    out.push({ name, type: nested ? (item ? 'array of objects' : 'object') : typeOf(prop), required: required.has(key), def: prop.default, description: String(prop.description ?? '') });
    if (nested) out.push(...rows(nested, `${name}${item ? '[]' : ''}.`));
  }
  return out;
}

/** The table of one schema. */
export function schemaTable(schema: TSchema): string {
  const lines = ['| field | type | default | meaning |', '| --- | --- | --- | --- |'];
  for (const r of rows(schema)) {
    const def = r.def !== undefined ? `\`${JSON.stringify(r.def)}\`` : r.required ? '(required)' : '(unset)';
    lines.push(`| \`${r.name}\` | ${pipe(r.type)} | ${pipe(def)} | ${pipe(r.description)} |`);
  }
  return lines.join('\n');
}

/** Every generated block, keyed by marker name (`key-auth`, `key-auth/consumer`, ...). */
export function schemaBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const p of BUILTIN_PLUGINS) {
    blocks.set(p.name, `Priority ${p.priority}. Route and global config:\n\n${schemaTable(p.schema)}`);
    if (p.consumerSchema) blocks.set(`${p.name}/consumer`, `Consumer config (\`consumers[].plugins.${p.name}\`):\n\n${schemaTable(p.consumerSchema)}`);
  }
  return blocks;
}

/** Replaces the content between each `<!-- schema:x -->` and `<!-- /schema:x -->` pair. */
export function renderDocs(text: string): string {
  let out = text;
  for (const [name, block] of schemaBlocks()) {
    const re = new RegExp(`(<!-- schema:${name} -->)[\\s\\S]*?(<!-- /schema:${name} -->)`);
    out = out.replace(re, (_all, open: string, close: string) => `${open}\n${block}\n${close}`);
  }
  return out;
}

export const PLUGINS_DOC = join(__dirname, '..', '..', '..', 'docs', 'plugins.md');

if (require.main === module) {
  writeFileSync(PLUGINS_DOC, renderDocs(readFileSync(PLUGINS_DOC, 'utf8')));
  process.stdout.write(`updated ${PLUGINS_DOC}\n`);
}
