/** Entry of the `gatehouse` command: runs the program, prints failures (never the token) and sets the exit code. */
import { buildProgram } from './program';
import { CliError, EXIT_FAILED, formatProblem } from './errors';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`gatehouse: ${err.code ? `${err.code}: ` : ''}${err.message}\n`);
      for (const p of err.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`gatehouse: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = EXIT_FAILED;
  });
