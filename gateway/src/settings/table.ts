/** Renders the README's settings table from the settings schema. */
import type { TSchema } from '@sinclair/typebox';
import { Settings } from './schema';

export function settingsTable(): string {
  const rows = ['| config key (`settings:`) | env var | default | meaning |', '| --- | --- | --- | --- |'];
  for (const [key, s] of Object.entries(Settings.properties) as unknown as [string, TSchema & { env: string }][]) {
    const def = s.default === undefined ? '(unset)' : `\`${String(s.default)}\``;
    rows.push(`| \`${key}\` | \`${s.env}\` | ${def} | ${String(s.description ?? '').replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

if (require.main === module) process.stdout.write(settingsTable() + '\n');
