/**
 * The data planes' read-only role on a real PostgreSQL (a server of the test's own, so the role, a
 * cluster-wide object, never lands on the shared server), whose pg_hba checks the reader's password
 * (SCRAM) while the owner keeps trust. The control plane keeps the role; a data plane connecting as it
 * syncs by change sets, receives notifications, and cannot write.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { validateConfig, type GatewayConfig } from '../../../gateway/src/config';
import type { SourceLogger } from '../../../gateway/src/core/logger';
import { envName } from '../../../gateway/src/settings';
import { DATA_PLANE_TABLES, openConfigStore, type ConfigStore, type StoreOptions } from '../../../gateway/src/store';
import { scramVerifier } from '../../../gateway/src/store/reader-role';
import { ConfigSync } from '../../../gateway/src/sync';
import { startPostgres, type PostgresServer } from '../../helpers/control-plane/postgres-server';
import { waitFor } from '../../helpers/control-plane/wait';
import { send, startGateway, startUpstream, type Gateway, type Upstream } from '../data-plane/proxy/harness';

const READER = 'gatehouse_reader';
const PASSWORD = 'Reader0password0for0the0test0run';
const settingNames = { url: envName('databaseUrl'), ca: envName('databaseCa'), readerUser: envName('databaseReaderUser') };
const quiet: SourceLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the data planes\' read-only role', () => {
  let server: PostgresServer;
  let owner: ConfigStore;
  let upstream: Upstream;
  let dir: string;
  const ownerUrl = () => `postgres://postgres@127.0.0.1:${server.port}/gatehouse`;
  const readerUrl = (password = PASSWORD) => `postgres://${READER}:${password}@127.0.0.1:${server.port}/gatehouse`;
  const controlPlane = (o: Partial<StoreOptions> = {}) =>
    openConfigStore({ databaseUrl: ownerUrl(), migrate: true, settingNames, reader: { user: READER, password: PASSWORD }, ...o });
  const asReader = async <T>(fn: (c: Client) => Promise<T>, password = PASSWORD): Promise<T> => {
    const c = new Client({ connectionString: readerUrl(password) });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const write = (routes: string[]) => {
    const checked = validateConfig({
      upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port: upstream.port }] }],
      routes: routes.map((id) => ({ id, paths: [`/${id}`], upstream: 'backend' })),
    } as unknown as GatewayConfig);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    return owner.commit({ author: 'test', build: () => ({ document: checked.value, intendedDrop: true }) });
  };

  beforeAll(async () => {
    server = await startPostgres({ hba: [`host all ${READER} 127.0.0.1/32 scram-sha-256`] });
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE gatehouse');
    await admin.end();
    owner = await controlPlane();
    upstream = await startUpstream();
    dir = await mkdtemp(join(tmpdir(), 'gh-reader-'));
  }, 60_000);
  afterAll(async () => {
    await owner?.close();
    await upstream?.close();
    await server?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs in with the password from the control plane\'s setting, and with no other', async () => {
    expect(await asReader(async (c) => (await c.query('SELECT current_user AS u')).rows[0].u)).toBe(READER);
    await expect(asReader(async () => undefined, 'wrong-password-of-sixteen')).rejects.toThrow(`password authentication failed for user "${READER}"`);
  });

  it('a data plane connecting as the reader syncs change sets and receives notifications', async () => {
    await write(['a']);
    const reader = await openConfigStore({ databaseUrl: readerUrl(), migrate: false });
    let gw: Gateway | undefined;
    let sync: ConfigSync | undefined;
    try {
      gw = await startGateway();
      const notified: number[] = [];
      const unwatch = await reader.watch((v) => notified.push(v), () => undefined);
      sync = new ConfigSync({
        sink: gw.dataPlane,
        store: reader,
        lastKnownGoodFile: join(dir, 'lkg.json'),
        pollIntervalMs: 60_000, // far beyond the test: only the notification can bring the next version
        push: true,
        startWithoutConfig: false,
        dropGuardPercent: 50,
        logger: quiet,
        registry: new Registry(),
      });
      await sync.start();
      expect((await send(`${gw.origin}/a`)).status).toBe(200);
      const next = await write(['a', 'b']);
      await waitFor(() => gw!.dataPlane.currentVersion === next.version, 'the change set, pushed by NOTIFY');
      expect(notified).toContain(next.version);
      expect((await send(`${gw.origin}/b`)).status).toBe(200);
      expect((await reader.changesSince(next.version - 1)).ok).toBe(true);
      await unwatch();
    } finally {
      await sync?.stop();
      await gw?.close();
      await reader.close();
    }
  });

  it.each([
    ['INSERT', `INSERT INTO gatehouse_config_versions (version, document, checksum, author, route_count) VALUES (999, '{}', 'x', 'attacker', 0)`],
    ['UPDATE', `UPDATE gatehouse_config_versions SET document = '{}'`],
    ['DELETE', 'DELETE FROM gatehouse_config_versions'],
    ['INSERT', `INSERT INTO gatehouse_config_changes (version, seq, kind, id) VALUES (999, 0, 'route', 'x')`],
    ['UPDATE', `UPDATE gatehouse_config_changes SET body = NULL`],
    ['DELETE', 'DELETE FROM gatehouse_config_changes'],
    ['TRUNCATE', 'TRUNCATE gatehouse_config_changes'],
    ['SELECT', 'SELECT * FROM gatehouse_config_writes'],
    ['SELECT', 'SELECT * FROM gatehouse_markers'],
    ['INSERT', `INSERT INTO gatehouse_markers (key, value) VALUES ('k', 'v')`],
    ['CREATE', 'CREATE TABLE gatehouse_evil (x int)'],
  ])('%s is refused: %s', async (_kind, sql) => {
    await expect(asReader((c) => c.query(sql))).rejects.toMatchObject({ code: '42501' });
  });

  it('has SELECT on exactly the tables data planes read', async () => {
    const granted = await asReader(async (c) =>
      (
        await c.query(
          `SELECT table_name, privilege_type FROM information_schema.table_privileges WHERE grantee = current_user ORDER BY 1, 2`,
        )
      ).rows.map((r) => `${r.table_name}:${r.privilege_type}`),
    );
    expect(granted).toEqual(DATA_PLANE_TABLES.map((t) => `${t}:SELECT`).sort());
  });

  it('is kept at every start: a new password replaces the old one, and a privilege granted by hand is taken back', async () => {
    const admin = new Client({ connectionString: ownerUrl() });
    await admin.connect();
    await admin.query(`GRANT INSERT ON gatehouse_config_versions, gatehouse_markers TO ${READER}`);
    await admin.end();
    const rotated = 'Rotated0password0for0the0test0run';
    const again = await controlPlane({ reader: { user: READER, password: rotated } });
    await again.close();
    await expect(asReader(async () => undefined)).rejects.toThrow('password authentication failed');
    expect(await asReader(async (c) => (await c.query('SELECT has_table_privilege(current_user, $1, $2) AS ok', ['gatehouse_config_versions', 'INSERT'])).rows[0].ok, rotated)).toBe(false);
    expect(await asReader(async (c) => (await c.query('SELECT has_table_privilege(current_user, $1, $2) AS ok', ['gatehouse_markers', 'INSERT'])).rows[0].ok, rotated)).toBe(false);
    // Back to the password the other tests use.
    await (await controlPlane()).close();
  });

  it('sends PostgreSQL a SCRAM verifier, never the password: the stored secret is that verifier', async () => {
    const admin = new Client({ connectionString: ownerUrl() });
    await admin.connect();
    const { rows } = await admin.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [READER]);
    await admin.end();
    const stored = rows[0].rolpassword as string;
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored)!;
    expect(scramVerifier(PASSWORD, Buffer.from(salt!, 'base64'), Number(iterations))).toBe(stored);
  });

  it('refuses a reader that is the control plane\'s own role or a superuser', async () => {
    await expect(controlPlane({ reader: { user: 'postgres', password: PASSWORD } })).rejects.toMatchObject({
      code: 'GW_ERR_SETTINGS_INVALID',
      problems: [expect.objectContaining({ path: '/settings/GATEHOUSE_DATABASE_READER_USER', message: 'GATEHOUSE_DATABASE_READER_USER is "postgres", the role the control plane itself connects as.' })],
    });
    const admin = new Client({ connectionString: ownerUrl() });
    await admin.connect();
    await admin.query('CREATE ROLE gatehouse_super SUPERUSER');
    await admin.end();
    await expect(controlPlane({ reader: { user: 'gatehouse_super', password: PASSWORD } })).rejects.toMatchObject({
      problems: [expect.objectContaining({ message: 'GATEHOUSE_DATABASE_READER_USER is "gatehouse_super", a superuser, which no grant can make read-only.' })],
    });
  });
});
