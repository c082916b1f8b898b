/** Runs the `gatehouse` CLI as a user does: the package's bin launcher in a child process, real stdout, stderr and exit code. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const BIN = join(REPO_ROOT, 'gateway', 'bin', 'gatehouse.cjs');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse ...args` with `env` on top of a clean environment (no GATEHOUSE_* or AWS_* of ours). */
export function gatehouse(args: readonly string[], env: Record<string, string> = {}, cwd = REPO_ROOT): Promise<CliRun> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_') && !k.startsWith('AWS_')) base[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...base, NO_COLOR: '1', ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
