/**
 * Loads settings: schema defaults, then the config file's `settings:` section, then environment
 * variables. Invalid settings stop start-up with a message naming the setting, its variable and the fix.
 */
import type { TSchema } from '@sinclair/typebox';
import { envName, Settings, type GatehouseSettings } from './schema';
import { validateAgainst } from '../config/schema-check';
import { GatehouseError, type Problem } from '../core/errors';

function kindOf(schema: TSchema): string {
  if (schema.type === 'integer' || schema.type === 'number') return 'number';
  if (schema.type === 'boolean') return 'boolean';
  return 'string';
}

/** Settings that mean something only together. */
const PAIRED_SETTINGS: readonly (readonly [keyof GatehouseSettings, keyof GatehouseSettings, string])[] = [
  ['tlsCertFile', 'tlsKeyFile', 'TLS on the proxy listener needs both a certificate and its key'],
  ['databaseReaderUser', 'databaseReaderPassword', 'the data planes\' read-only role needs both its name and its password'],
];

/** Converts one environment value to the setting's type, or explains why it cannot. */
function coerce(key: string, variable: string, raw: string, schema: TSchema): { value?: unknown; problem?: Problem } {
  const kind = kindOf(schema);
  if (kind === 'number' && schema.type === 'number') {
    // A fraction (the tracing sample ratio): plain decimal notation only.
    if (!/^-?\d+(\.\d+)?$/.test(raw.trim()))
      return { problem: { path: `/settings/${key}`, message: `${variable}="${raw}" is not a number.`, fix: `set ${variable} to a decimal number, e.g. ${String(schema.default ?? 1)}.` } };
    return { value: Number(raw) };
  }
  if (kind === 'number') {
    if (!/^-?\d+$/.test(raw.trim()))
      return { problem: { path: `/settings/${key}`, message: `${variable}="${raw}" is not a whole number.`, fix: `set ${variable} to a whole number, e.g. ${String(schema.default ?? 1)}.` } };
    return { value: Number(raw) };
  }
  if (kind === 'boolean') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return { value: true };
    if (['0', 'false', 'no', 'off'].includes(v)) return { value: false };
    return { problem: { path: `/settings/${key}`, message: `${variable}="${raw}" is not a boolean.`, fix: `set ${variable} to true or false.` } };
  }
  return { value: raw };
}

/**
 * Resolves the settings.
 * @param fileSettings the `settings:` section of the config file, if any
 * @param environment usually `process.env`
 */
export function loadSettings(fileSettings: unknown = {}, environment: NodeJS.ProcessEnv = process.env): GatehouseSettings {
  const problems: Problem[] = [];
  if (fileSettings === null || typeof fileSettings !== 'object' || Array.isArray(fileSettings)) {
    throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
      { path: '/settings', message: 'settings must be an object.', fix: 'write settings as a map of setting name to value.' },
    ]);
  }
  const merged: Record<string, unknown> = { ...(fileSettings as Record<string, unknown>) };
  for (const [key, schema] of Object.entries(Settings.properties)) {
    const variable = (schema as unknown as { env: string }).env;
    const raw = environment[variable];
    if (raw === undefined || raw === '') continue;
    const { value, problem } = coerce(key, variable, raw, schema as TSchema);
    if (problem) problems.push(problem);
    else merged[key] = value;
  }
  const result = validateAgainst<GatehouseSettings>(Settings, merged, '/settings');
  if (!result.ok) {
    for (const p of result.problems) {
      const key = p.path.split('/')[2];
      const schema = key ? (Settings.properties as Record<string, TSchema>)[key] : undefined;
      const variable = schema ? (schema as unknown as { env: string }).env : undefined;
      problems.push(variable ? { ...p, message: `${p.message.replace(/\.$/, "")} (setting ${key}, env ${variable}).` } : p);
    }
  }
  if (result.ok)
    for (const [a, b, what] of PAIRED_SETTINGS)
      if ((result.value[a] === undefined) !== (result.value[b] === undefined))
        problems.push({
          path: `/settings/${result.value[a] === undefined ? a : b}`,
          message: `${what}; only one is set.`,
          fix: `set both ${a} (${envName(a)}) and ${b} (${envName(b)}), or neither.`,
        });
  if (problems.length) throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, problems);
  return (result as { ok: true; value: GatehouseSettings }).value;
}
