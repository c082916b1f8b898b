/**
 * Summarises V8 CPU profiles (`node --cpu-prof`): the functions with the most self time, with their
 * file and line, so a missed target can be traced to code. Also runnable: `tsx bench/profile.ts <file>`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './children';

const TOP_FUNCTIONS = 20;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  startTime: number;
  endTime: number;
}

function location(url: string, line: number): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  const shown = path.startsWith(REPO_ROOT) ? relative(REPO_ROOT, path) : path;
  return `${shown}:${line + 1}`;
}

/** Top self-time functions of one profile, as text lines. */
export function topSelfTime(profile: CpuProfile, top = TOP_FUNCTIONS): string[] {
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'}  ${location(f.url, f.lineNumber)}`;
    self.set(key, (self.get(key) ?? 0) + hits);
    total += hits;
  }
  const ms = (profile.endTime - profile.startTime) / 1_000;
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, hits]) => `${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}`)
    .concat(`(${total} samples over ${ms.toFixed(0)} ms)`);
}

/** Summaries of the profiles `pid` wrote into `dir` (node names them CPU.<date>.<pid>.<n>.cpuprofile). */
export function summariseProfiles(dir: string, pid: number): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`));
  if (!files.length) return [`no CPU profile from pid ${pid} in ${dir} (the gateway must exit normally on SIGTERM to write it)`];
  return files.flatMap((f) => {
    const profile = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    return [`gateway CPU profile ${join(dir, f)}, top self time:`, ...topSelfTime(profile).map((l) => `    ${l}`)];
  });
}

if (require.main === module) {
  for (const file of process.argv.slice(2)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(`${file}\n${topSelfTime(profile, 40).join('\n')}\n`);
  }
}
