import { MultiBar, Presets, type SingleBar } from 'cli-progress';

import type { DeploymentSnapshot } from './deploy';

/** Where the command writes; `isTTY` picks live bars over plain lines. */
export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Shows what a release is doing while it waits. */
export interface ReleaseProgress {
  /** A line of narration (wave started, task definition registered, …). */
  line(text: string): void;
  /** A region's deployment moved: phase, traffic shifted to green, healthy green tasks. */
  update(region: string, snapshot: DeploymentSnapshot): void;
  /** Ends live output so the summary prints below it. */
  stop(): void;
}

/** Live bars on a terminal (one per region in flight), plain lines otherwise (CI logs, pipes). */
export function createProgress(out: TextSink): ReleaseProgress {
  return out.isTTY ? new TerminalProgress(out) : new LineProgress(out);
}

/** The plain-line form of a snapshot, also used by `status`. */
export function describeSnapshot(s: DeploymentSnapshot): string {
  return `${s.deploymentId} ${s.status}: phase ${s.phase}, traffic on green ${s.trafficPercent}%, healthy green tasks ${s.healthyTasks}/${s.desiredTasks}`;
}

/** One line per change, so a CI log shows every step without repeating itself on each poll. */
class LineProgress implements ReleaseProgress {
  private readonly last = new Map<string, string>();

  constructor(private readonly out: TextSink) {}

  line(text: string): void {
    this.out.write(`${text}\n`);
  }

  update(region: string, snapshot: DeploymentSnapshot): void {
    const text = `[${region}] ${describeSnapshot(snapshot)}`;
    if (this.last.get(region) === text) return;
    this.last.set(region, text);
    this.out.write(`${text}\n`);
  }

  stop(): void {}
}

class TerminalProgress implements ReleaseProgress {
  private readonly bars: MultiBar;
  private readonly byRegion = new Map<string, SingleBar>();

  constructor(private readonly out: TextSink) {
    this.bars = new MultiBar(
      {
        stream: out as NodeJS.WritableStream,
        format: '{region} [{bar}] {value}% traffic on green | {phase} | healthy {healthy}/{desired} | {status}',
        hideCursor: true,
        clearOnComplete: false,
        forceRedraw: true,
      },
      Presets.shades_classic,
    );
  }

  line(text: string): void {
    if (this.byRegion.size === 0) this.out.write(`${text}\n`);
    else this.bars.log(`${text}\n`);
  }

  update(region: string, s: DeploymentSnapshot): void {
    const payload = { region: region.padEnd(14), phase: s.phase, healthy: s.healthyTasks, desired: s.desiredTasks, status: s.status };
    const bar = this.byRegion.get(region);
    if (bar) bar.update(s.trafficPercent, payload);
    else this.byRegion.set(region, this.bars.create(100, s.trafficPercent, payload));
  }

  stop(): void {
    this.bars.stop();
  }
}
