/**
 * How the CLI prints diffs: one line per changed field (`~ /routes/hello/priority: 0 → 5`), coloured
 * only on a terminal (and never with NO_COLOR), so CI logs and pipes get plain text.
 */
import { styleText } from 'node:util';
import type { ConfigDiffAnswer, FieldChange } from '../control-plane/contract';

type Color = 'green' | 'red' | 'yellow' | 'cyan';

export interface Out {
  write(text: string): void;
  color: boolean;
}

/** Standard output as the CLI writes to it. */
export const stdout: Out = {
  write: (text) => void process.stdout.write(text),
  color: !!process.stdout.isTTY && !process.env.NO_COLOR,
};

const paint = (out: Out, color: Color, text: string) => (out.color ? styleText(color, text) : text);

/** A value on one line: JSON, shortened when long. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function line(change: FieldChange): [Color, string] {
  switch (change.op) {
    case 'add':
      return ['green', `+ ${change.path}: ${shown(change.value)}`];
    case 'remove':
      return ['red', `- ${change.path} (was ${shown(change.before)})`];
    case 'replace':
      return ['yellow', `~ ${change.path}: ${shown(change.before)} → ${shown(change.value)}`];
    case 'move':
      return ['cyan', `> ${change.from} → ${change.path}`];
  }
}

/** Prints a diff; returns whether it has differences. */
export function printDiff(out: Out, diff: ConfigDiffAnswer, heading: string): boolean {
  if (diff.unchanged) {
    out.write(`${heading}: no differences\n`);
    return false;
  }
  const counts = (['routes', 'upstreams', 'consumers', 'plugins'] as const)
    .map((k) => [k, diff[k].added.length, diff[k].changed.length, diff[k].removed.length] as const)
    .filter(([, a, c, r]) => a + c + r > 0)
    .map(([k, a, c, r]) => `${k} +${a} ~${c} -${r}`);
  out.write(`${heading}: ${counts.join(', ') || 'order only'}\n`);
  for (const change of diff.changes) {
    const [color, text] = line(change);
    out.write(`  ${paint(out, color, text)}\n`);
  }
  return true;
}
