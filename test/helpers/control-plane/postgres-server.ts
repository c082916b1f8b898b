/** A throwaway PostgreSQL server (initdb into a temp dir, pg_ctl on a free port) that tests can stop and start. */
import { execFile } from 'node:child_process';
import { appendFile, chmod, chown, copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { freePort } from '../../../support/free-port';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ServerCertificate } from '../test-ca';

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

/** What a test may ask of its server beyond the defaults. */
export interface PostgresServerOptions {
  /** Serve TLS (`ssl = on`) with this certificate. */
  readonly tls?: ServerCertificate;
  /** pg_hba.conf lines put before initdb's (first match wins), e.g. a password-checked role. */
  readonly hba?: readonly string[];
}

/** Copies a server certificate into a server's directory, owned by the server's user (Postgres checks the key's owner and mode). */
export async function installCertificate(tls: ServerCertificate, dir: string, owner?: { uid: number; gid: number }): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  await copyFile(tls.certFile, certFile);
  await copyFile(tls.keyFile, keyFile);
  await chmod(keyFile, 0o600);
  if (owner) for (const f of [certFile, keyFile]) await chown(f, owner.uid, owner.gid);
  return { certFile, keyFile };
}

/** Puts `lines` first in a data directory's pg_hba.conf. */
export async function prependHba(dataDir: string, lines: readonly string[]): Promise<void> {
  const file = join(dataDir, 'pg_hba.conf');
  await writeFile(file, `${lines.join('\n')}\n${await readFile(file, 'utf8')}`);
}

/** initdb + pg_ctl start; `destroy` stops it and removes its directory. */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'gh-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUser() : undefined;
  if (owner) await chown(dir, owner.uid, owner.gid);
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { timeout: 60_000 }) : run(join(bin, tool), args, { timeout: 60_000 });
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  if (options.tls) {
    const { certFile, keyFile } = await installCertificate(options.tls, dir, owner);
    await appendFile(join(data, 'postgresql.conf'), `ssl = on\nssl_cert_file = '${certFile}'\nssl_key_file = '${keyFile}'\n`);
  }
  if (options.hba) await prependHba(data, options.hba);
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
