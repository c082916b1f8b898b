/**
 * Exit codes and errors of the release command. They live here rather than in
 * `gateway/src/core/errors.ts` because they are process exit codes of an operator tool, not HTTP answers.
 */

/** What the process exit code tells a CI job or an operator. */
export const ExitCode = {
  /** Every region in the plan runs the new version (or already did). */
  Ok: 0,
  /** A deployment failed and was rolled back; later waves were not started. */
  DeploymentFailed: 1,
  /** Bad arguments, bad deployment config, or a precondition failed: nothing was changed. */
  Usage: 2,
  /** A deployment was stopped (by request or because it ran past the timeout). */
  Stopped: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the release command reports as one clear message and an exit code. */
export class ReleaseError extends Error {
  readonly exitCode: ExitCodeValue;

  constructor(message: string, exitCode: ExitCodeValue = ExitCode.Usage) {
    super(message);
    this.name = 'ReleaseError';
    this.exitCode = exitCode;
  }
}

/** A bad command-line argument: names the argument, what is wrong, and the fix. */
export function usageError(argument: string, problem: string, fix: string): ReleaseError {
  return new ReleaseError(`${argument}: ${problem} Fix: ${fix}`, ExitCode.Usage);
}

/** A problem with the deployment config or the deployed stacks, found before anything changed. */
export function configError(problem: string, fix: string): ReleaseError {
  return new ReleaseError(`${problem} Fix: ${fix}`, ExitCode.Usage);
}
