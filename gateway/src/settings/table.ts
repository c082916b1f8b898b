/** Renders the README's settings table from the settings schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Settings } from './schema';

export function settingsTable(): string {
  const rows = ['| config key (`settings:`) | env var | default | meaning |', '| --- | --- | --- | --- |'];
  for (const [key, s] of Object.entries(Settings.properties) as unknown as [string, TSchema & { env: string }][]) {
    const def = s.default === undefined ? '(unset)' : s.default === '' ? '(empty)' : `\`${String(s.default)}\``;
    rows.push(`| \`${key}\` | \`${s.env}\` | ${def} | ${String(s.description ?? '').replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

/** Replaces the README's `<!-- section:settings -->` block with the current table. */
export function writeReadmeTable(readmePath: string): void {
  const [open, close] = ['<!-- section:settings -->', '<!-- /section:settings -->'];
  const text = readFileSync(readmePath, 'utf8');
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${readmePath} has no ${open} ... ${close} block`);
  writeFileSync(readmePath, `${text.slice(0, start + open.length)}\n${settingsTable()}\n${text.slice(end)}`);
}

// `npm run docs:settings` prints the table; `npm run docs:settings -- --write` updates README.md.
if (require.main === module) {
  if (process.argv.includes('--write')) writeReadmeTable(join(__dirname, '..', '..', '..', 'README.md'));
  else process.stdout.write(settingsTable() + '\n');
}
