/**
 * A PostgreSQL primary with TLS and a real streaming read replica of it (pg_basebackup -R), each on
 * a free port, run as the `postgres` OS user when the tests run as root. The replica is a hot
 * standby: reads work, writes and LISTEN are refused, and NOTIFY never arrives, as on RDS.
 */
import { execFile } from 'node:child_process';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../../support/free-port';
import { binDir, installCertificate, prependHba, postgresUser } from './control-plane/postgres-server';
import { createTestCa, type TestCa } from './test-ca';
import { waitFor } from './control-plane/wait';

const run = promisify(execFile);

/** One server of the pair. */
export interface PostgresEndpoint {
  readonly host: string;
  readonly port: number;
  /** `postgres://postgres@host:port/<database>` (trust authentication). */
  url(database: string): string;
}

export interface ReplicatedPostgres {
  /** The CA that signed both servers' certificate (for 127.0.0.1 and localhost): verify-full with it. */
  readonly ca: TestCa;
  readonly primary: PostgresEndpoint;
  readonly replica: PostgresEndpoint;
  /** Resolves once the replica has replayed everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  destroy(): Promise<void>;
}

const endpoint = (port: number): PostgresEndpoint => ({ host: '127.0.0.1', port, url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}` });

/** Starts the primary (TLS on, `databases` created, `hba` lines first in pg_hba.conf) and then the replica, streamed from it. */
export async function startReplicatedPostgres(databases: readonly string[] = [], options: { hba?: readonly string[] } = {}): Promise<ReplicatedPostgres> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'gh-pgrep-'));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUser() : undefined;
  if (owner) await chown(dir, owner.uid, owner.gid);
  const as = (file: string, args: string[]) =>
    owner ? run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 120_000 }) : run(file, args, { timeout: 120_000 });
  const pg = (tool: string, args: string[]) => as(join(bin, tool), args);

  const primaryData = join(dir, 'primary');
  const replicaData = join(dir, 'replica');
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  await pg('initdb', ['-D', primaryData, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  // A certificate of a test CA for the servers' address: clients verify it (verify-full) as RDS clients do.
  const ca = await createTestCa();
  await installCertificate(await ca.issue('postgres', ['IP:127.0.0.1', 'DNS:localhost']), dir, owner);
  if (options.hba) await prependHba(primaryData, options.hba);
  await appendFile(
    join(primaryData, 'postgresql.conf'),
    [
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'ssl = on',
      `ssl_cert_file = '${join(dir, 'server.crt')}'`,
      `ssl_key_file = '${join(dir, 'server.key')}'`,
      'wal_level = replica',
      'max_wal_senders = 4',
      'hot_standby = on',
      'fsync = off',
      '',
    ].join('\n'),
  );
  const start = (data: string, port: number, log: string) => pg('pg_ctl', ['-D', data, 'start', '-w', '-l', join(dir, log), '-o', `-p ${port}`]);
  const stop = (data: string) => pg('pg_ctl', ['-D', data, 'stop', '-w', '-m', 'fast']).catch(() => undefined);
  await start(primaryData, primaryPort, 'primary.log');
  try {
    const admin = new Client({ connectionString: endpoint(primaryPort).url('postgres') });
    await admin.connect();
    try {
      for (const db of databases) await admin.query(`CREATE DATABASE ${db}`);
    } finally {
      await admin.end();
    }
    // -R writes standby.signal and primary_conninfo: the copy starts as a streaming hot standby.
    await pg('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replicaData, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync']);
    await start(replicaData, replicaPort, 'replica.log');
  } catch (err) {
    await stop(primaryData);
    await rm(dir, { recursive: true, force: true });
    await ca.destroy();
    throw err;
  }

  const lsn = async (port: number, query: string): Promise<string> => {
    const c = new Client({ connectionString: endpoint(port).url('postgres') });
    await c.connect();
    try {
      return String((await c.query(query)).rows[0].lsn);
    } finally {
      await c.end();
    }
  };
  return {
    ca,
    primary: endpoint(primaryPort),
    replica: endpoint(replicaPort),
    async caughtUp(timeoutMs = 30_000) {
      const target = await lsn(primaryPort, 'SELECT pg_current_wal_lsn() AS lsn');
      await waitFor(
        async () => {
          const c = new Client({ connectionString: endpoint(replicaPort).url('postgres') });
          await c.connect();
          try {
            return (await c.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [target])).rows[0].ok === true;
          } finally {
            await c.end();
          }
        },
        'the replica to replay the primary\'s WAL',
        timeoutMs,
      );
    },
    async destroy() {
      await stop(replicaData);
      await stop(primaryData);
      await rm(dir, { recursive: true, force: true });
      await ca.destroy();
    },
  };
}
