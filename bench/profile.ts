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
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** A time window in microseconds of the monotonic clock (`process.hrtime`), which V8 profiles also use. */
export interface ProfileWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

/** The current monotonic time in microseconds, comparable with profile timestamps of other processes. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1_000n);
}

/** Samples per node id, counting only the samples taken inside `window` (all samples without one). */
function hitsPerNode(profile: CpuProfile, window?: ProfileWindow): Map<number, number> {
  const hits = new Map<number, number>();
  if (!window || !profile.samples || !profile.timeDeltas) {
    for (const node of profile.nodes) if (node.hitCount) hits.set(node.id, node.hitCount);
    return hits;
  }
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas![i] ?? 0;
    if (t >= window.fromUs && t <= window.toUs) hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  return hits;
}

/** What a frame belongs to: an npm package, a gateway folder, node internals, or native code. */
function owner(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  if (path.startsWith(REPO_ROOT)) return relative(REPO_ROOT, path).split('/').slice(0, -1).join('/') || '.';
  return path;
}

function location(url: string, line: number): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  const shown = path.startsWith(REPO_ROOT) ? relative(REPO_ROOT, path) : path;
  return `${shown}:${line + 1}`;
}

function ranked(counts: Map<string, number>, total: number, top: number): string[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, n]) => `${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}`);
}

/**
 * Top self-time functions of one profile (idle time left out), then the same time grouped by owner
 * (package or gateway folder). Returns nothing when no sample falls in `window`.
 */
export function topSelfTime(profile: CpuProfile, top = TOP_FUNCTIONS, window?: ProfileWindow): string[] {
  const hits = hitsPerNode(profile, window);
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const n = hits.get(node.id) ?? 0;
    if (!n) continue;
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += n;
      continue;
    }
    const key = `${f.functionName || '(anonymous)'}  ${location(f.url, f.lineNumber)}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + n);
    byOwner.set(owner(f.url), (byOwner.get(owner(f.url)) ?? 0) + n);
    total += n;
  }
  if (!total) return [];
  return [
    `busy ${total} samples, idle ${idle} samples; share of busy time by function:`,
    ...ranked(byFunction, total, top),
    'by owner:',
    ...ranked(byOwner, total, 12),
  ];
}

/** Summaries of the profiles `pid` wrote into `dir` (node names them CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile). */
export function summariseProfiles(name: string, dir: string, pid: number, window?: ProfileWindow): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`));
  if (!files.length) return [`no CPU profile from ${name} (pid ${pid}) in ${dir} (it must exit normally on SIGTERM to write one)`];
  return files.flatMap((f) => {
    const profile = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    const lines = topSelfTime(profile, TOP_FUNCTIONS, window);
    // Threads with no busy sample under load (for example tsx's loader thread) are left out.
    return lines.length ? [`${name} CPU profile ${join(dir, f)} (samples taken under load only):`, ...lines.map((l) => `    ${l}`)] : [];
  });
}

if (require.main === module) {
  for (const file of process.argv.slice(2)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(`${file}\n${topSelfTime(profile, 40).join('\n')}\n`);
  }
}
