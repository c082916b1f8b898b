import { ExitCode, type ExitCodeValue } from './errors';

/** How a region ended up after a release or rollback. */
export type RegionResult = 'succeeded' | 'unchanged' | 'failed' | 'stopped' | 'timed-out' | 'not-started';

/** One region's line in the summary. */
export interface RegionOutcome {
  readonly region: string;
  readonly result: RegionResult;
  readonly deploymentId?: string;
  readonly fromImage?: string;
  readonly toImage?: string;
  readonly detail?: string;
}

const LABEL: Record<RegionResult, string> = {
  succeeded: 'succeeded',
  unchanged: 'unchanged',
  failed: 'FAILED',
  stopped: 'STOPPED',
  'timed-out': 'TIMED OUT',
  'not-started': 'not started',
};

/** 0 all succeeded, 1 a deployment failed (and rolled back), 3 a deployment was stopped or timed out. */
export function exitCodeOf(outcomes: readonly RegionOutcome[]): ExitCodeValue {
  if (outcomes.some((o) => o.result === 'failed')) return ExitCode.DeploymentFailed;
  if (outcomes.some((o) => o.result === 'stopped' || o.result === 'timed-out')) return ExitCode.Stopped;
  return ExitCode.Ok;
}

/** The final summary: one line per region, then the verdict with the exit code. */
export function formatSummary(title: string, outcomes: readonly RegionOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.region.length), 6);
  const lines = [`${title} summary:`];
  for (const o of outcomes) {
    const parts = [`  ${o.region.padEnd(width)}  ${LABEL[o.result].padEnd(11)}`];
    if (o.deploymentId) parts.push(o.deploymentId);
    if (o.toImage) parts.push(o.fromImage && o.fromImage !== o.toImage ? `${o.fromImage} -> ${o.toImage}` : o.toImage);
    if (o.detail) parts.push(`(${o.detail})`);
    lines.push(parts.join('  '));
  }
  const code = exitCodeOf(outcomes);
  const verdict =
    code === ExitCode.Ok
      ? `${title} complete in ${outcomes.length} region(s).`
      : code === ExitCode.DeploymentFailed
        ? `${title} failed; regions marked FAILED were rolled back by CodeDeploy, regions not started kept their version.`
        : `${title} stopped; check "npm run release -- status" before releasing again.`;
  lines.push(`${verdict} Exit code ${code}.`);
  return lines.join('\n');
}
