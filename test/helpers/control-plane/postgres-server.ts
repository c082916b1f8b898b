/** A throwaway PostgreSQL server (initdb into a temp dir, pg_ctl on a free port) that tests can stop and start. */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { freePort } from '../../../support/free-port';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function pgBin(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql; install postgresql to run this test.');
  return root;
}

/** The newest PostgreSQL server's bin directory. */
export async function binDir(): Promise<string> {
  const versions = (await readdir(pgBin())).sort();
  const dir = join(pgBin(), versions[versions.length - 1]!, 'bin');
  if (!existsSync(join(dir, 'initdb'))) throw new Error(`initdb not found in ${dir}; install the PostgreSQL server package.`);
  return dir;
}

export interface PostgresServer {
  url: string;
  port: number;
  /** Its data directory (`postmaster.pid` names the postmaster). */
  dataDir: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** The uid/gid of the `postgres` OS user, used when the tests run as root (initdb refuses root). */
export async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error('the tests run as root and there is no "postgres" OS user to run initdb as; create one or run the tests as an unprivileged user.');
  }
}

/** initdb + pg_ctl start; `destroy` stops it and removes its directory. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'gh-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { timeout: 60_000 }) : run(join(bin, tool), args, { timeout: 60_000 });
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const ctl = (...args: string[]) => pg('pg_ctl', ['-D', data, ...args]);
  const start = () => ctl('start', '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`).then(() => undefined);
  const stop = () => ctl('stop', '-w', '-m', 'fast').then(() => undefined);
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir: data,
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

export { freePort };
