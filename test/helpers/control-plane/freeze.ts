/** Hangs a test-started PostgreSQL (SIGSTOP on the postmaster and every backend) and resumes it. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PostgresServer } from './postgres-server';

const run = promisify(execFile);

/** The postmaster (first line of `postmaster.pid`) and its children, the backends. */
async function serverPids(pg: PostgresServer): Promise<number[]> {
  const postmaster = Number((await readFile(join(pg.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(postmaster)]);
  return [postmaster, ...stdout.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0)];
}

/**
 * Runs `fn` while the server is frozen; always resumes it. Backends started during the freeze cannot
 * exist (the postmaster is stopped, so it forks none).
 */
export async function whileFrozen<T>(pg: PostgresServer, fn: () => Promise<T>): Promise<T> {
  const pids = await serverPids(pg);
  try {
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    return await fn();
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // exited meanwhile
      }
    }
  }
}
