/**
 * What the CLI reports when it cannot go on: a message for a person, optional problems (with file and
 * line when known), and the exit code. Admin API errors keep their code and message; the token never
 * appears in any of them.
 */
import type { Problem } from '../core/errors';

/** Exit codes: 0 done, 1 failed, 2 differences found (diff), for CI. */
export const EXIT_FAILED = 1;
export const EXIT_DIFFERENT = 2;

/** One problem, located in a file when the CLI knows where. */
export interface LocatedProblem extends Problem {
  readonly file?: string;
  readonly line?: number;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly problems: readonly LocatedProblem[] = [],
    /** The admin API's error code, when it answered one. */
    readonly code?: string,
    readonly exitCode = EXIT_FAILED,
  ) {
    super(message);
  }
}

/** `file:line: path: message (fix: …)`, one line per problem. */
export function formatProblem(p: LocatedProblem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ` : '';
  return `${where}${p.path || '/'}: ${p.message} Fix: ${p.fix}`;
}
