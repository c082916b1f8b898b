/**
 * CPU time another process used (user + system, from `/proc/<pid>/stat`, Linux). CPU per request is
 * the figure that stays meaningful on a shared, noisy machine, where requests/s mostly measures how
 * much CPU the other tenants left over.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const DEFAULT_CLOCK_TICKS_PER_S = 100;

function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : DEFAULT_CLOCK_TICKS_PER_S;
  } catch {
    return DEFAULT_CLOCK_TICKS_PER_S;
  }
}

let ticksPerS: number | undefined;

/** CPU milliseconds `pid` has used so far, or undefined when `/proc` cannot tell. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    ticksPerS ??= clockTicksPerSecond();
    return Number.isFinite(ticks) ? (ticks * 1_000) / ticksPerS : undefined;
  } catch {
    return undefined;
  }
}

/** CPU milliseconds of `pid` and its direct children (a cluster primary and its workers). */
export function treeCpuMs(pid: number): number | undefined {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
  let total = 0;
  for (const p of [pid, ...children]) {
    const ms = cpuMs(p);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}
