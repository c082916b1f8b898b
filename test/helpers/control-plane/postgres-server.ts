/** A throwaway PostgreSQL server (initdb into a temp dir, pg_ctl on a free port) that tests can stop and start. */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function pgBin(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql; install postgresql to run this test.');
  return root;
}

async function binDir(): Promise<string> {
  const versions = (await readdir(pgBin())).sort();
  const dir = join(pgBin(), versions[versions.length - 1]!, 'bin');
  if (!existsSync(join(dir, 'initdb'))) throw new Error(`initdb not found in ${dir}; install the PostgreSQL server package.`);
  return dir;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PostgresServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** initdb + pg_ctl start; `destroy` stops it and removes its directory. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'gh-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'], { timeout: 60_000 });
  const ctl = (...args: string[]) => run(join(bin, 'pg_ctl'), ['-D', data, ...args], { timeout: 60_000 });
  const start = () => ctl('start', '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`).then(() => undefined);
  const stop = () => ctl('stop', '-w', '-m', 'fast').then(() => undefined);
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
