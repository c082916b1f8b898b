/**
 * The bench's output: each section adds tables and verdict lines; at the end they are printed as
 * aligned text and once more as a markdown block ready to paste into docs/BENCHMARKS.md.
 */
import type { LoadResult } from './load';

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface SectionReport {
  readonly name: string;
  readonly tables: readonly Table[];
  /** Ratios and target verdicts, one line each. */
  readonly notes: readonly string[];
}

/** Throughput and latency targets from the issue: gateway vs the bare undici proxy. */
export const TARGET_MIN_RPS_RATIO = 0.85;
export const TARGET_MAX_P99_RATIO = 1.25;
/** Memory target: RSS growth while a 1 GB body streams through. */
export const TARGET_MAX_STREAM_GROWTH_BYTES = 64 * 1024 * 1024;

export const fmtRps = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtMs = (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1));
export const fmtRatio = (n: number): string => `${n.toFixed(2)}×`;
export const fmtMiB = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** One row of a load table: target name, requests/s, p50, p99, server CPU per request, errors. */
export function loadRow(name: string, r: LoadResult | undefined): string[] {
  if (!r) return [name, 'skipped', '', '', '', ''];
  const cpu = r.cpuUsPerRequest === undefined ? 'n/a' : r.cpuUsPerRequest.toFixed(1);
  return [name, fmtRps(r.rps), fmtMs(r.p50Ms), fmtMs(r.p99Ms), cpu, String(r.errors)];
}
export const LOAD_HEADERS = ['target', 'requests/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors'] as const;

/** "gateway/x: throughput 0.91×, p99 1.10×" plus a verdict against the targets when `x` is the bare proxy. */
export function ratioLine(label: string, gateway: LoadResult, base: LoadResult, checkTargets: boolean): string {
  const rps = gateway.rps / base.rps;
  const p99 = gateway.p99Ms / base.p99Ms;
  let line = `${label}: throughput ${fmtRatio(rps)}, p50 ${fmtRatio(gateway.p50Ms / base.p50Ms)}, p99 ${fmtRatio(p99)}`;
  if (gateway.cpuUsPerRequest !== undefined && base.cpuUsPerRequest !== undefined)
    line += `, CPU per request ${fmtRatio(gateway.cpuUsPerRequest / base.cpuUsPerRequest)}`;
  if (checkTargets) {
    const rpsOk = rps >= TARGET_MIN_RPS_RATIO;
    const p99Ok = p99 <= TARGET_MAX_P99_RATIO;
    line += ` — throughput target ≥ ${TARGET_MIN_RPS_RATIO}× ${rpsOk ? 'met' : 'MISSED'}, p99 target ≤ ${TARGET_MAX_P99_RATIO}× ${p99Ok ? 'met' : 'MISSED'}`;
  }
  return line;
}

function widths(table: Table): number[] {
  return table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
}

/** The table as aligned plain text (numbers right-aligned). */
export function textTable(table: Table): string {
  const w = widths(table);
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [table.title, line(table.headers), w.map((n) => '-'.repeat(n)).join('  '), ...table.rows.map(line)].join('\n');
}

/** The table in GitHub markdown. */
export function markdownTable(table: Table): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const align = table.headers.map((_, i) => (i === 0 ? '---' : '---:'));
  return [`**${table.title}**`, '', line(table.headers), line(align), ...table.rows.map(line)].join('\n');
}

/** Prints every section as text, then everything again as one markdown block. */
export function printReport(header: readonly string[], sections: readonly SectionReport[]): void {
  const out: string[] = ['', ...header, ''];
  for (const s of sections) {
    out.push(`== ${s.name} ==`);
    for (const t of s.tables) out.push(textTable(t), '');
    for (const n of s.notes) out.push(`  ${n}`);
    out.push('');
  }
  out.push('---- markdown ----', '');
  out.push(...header.map((h) => `${h}  `), '');
  for (const s of sections) {
    out.push(`### ${s.name}`, '');
    for (const t of s.tables) out.push(markdownTable(t), '');
    for (const n of s.notes) out.push(`- ${n}`);
    out.push('');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/** A section report from markdown lines (`| a | b |` tables and `- ` notes), for sections that write their results as markdown. */
export function reportFromMarkdown(name: string, lines: readonly string[]): SectionReport {
  const tables: Table[] = [];
  const notes: string[] = [];
  const cells = (line: string) => line.slice(1, -1).split('|').map((c) => c.trim());
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line.startsWith('|')) {
      if (line) notes.push(line.replace(/^- /, ''));
      continue;
    }
    const headers = cells(line);
    const rows: string[][] = [];
    for (i += 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++) rows.push(cells(lines[i]!.trim()));
    i--;
    tables.push({ title: `${name}: ${headers[0]}`, headers, rows });
  }
  return { name, tables, notes };
}
