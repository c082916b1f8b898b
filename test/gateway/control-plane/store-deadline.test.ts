/**
 * Admin writes against a hung or slow PostgreSQL (a test-started server, frozen with SIGSTOP): every
 * write is answered within the store deadline, and the answer is true: "not applied" when it cannot
 * have committed, GW_ERR_STORE_TIMEOUT with a write id when it may have; the write record tells later,
 * also after a restart, and a retry with the same Idempotency-Key never applies twice.
 */
import type { FastifyInstance } from 'fastify';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { ConfigService, StoreHealth } from '../../../gateway/src/control-plane';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { whileFrozen } from '../../helpers/control-plane/freeze';
import { startPostgres, type PostgresServer } from '../../helpers/control-plane/postgres-server';
import { waitFor } from '../../helpers/control-plane/wait';
import { adminServer, asAdmin } from './admin-helpers';

const DEADLINE_MS = 1_000;
/** An advisory lock the test holds; a deferred trigger makes COMMIT of a new version wait for it. */
const COMMIT_GATE = 4242;

/** The answer, or 'no answer' when none came well after the deadline (the freeze then ends). */
async function answerOrNothing<T>(p: Promise<T>): Promise<T | 'no answer'> {
  let timer: NodeJS.Timeout | undefined;
  const nothing = new Promise<'no answer'>((resolve) => (timer = setTimeout(() => resolve('no answer'), DEADLINE_MS * 4)));
  try {
    return await Promise.race([p, nothing]);
  } finally {
    clearTimeout(timer);
  }
}

describe('admin writes past the config store deadline', () => {
  let pg: PostgresServer;
  let store: ConfigStore;
  let admin: FastifyInstance;
  let sql: Client;

  /** Makes COMMIT of a new version wait for the gate (a deferred trigger), and then fail when asked. */
  const holdCommits = async (thenFail: boolean) => {
    await sql.query('SELECT pg_advisory_lock($1)', [COMMIT_GATE]);
    await sql.query(`CREATE OR REPLACE FUNCTION gh_hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock(${COMMIT_GATE}); ${thenFail ? "RAISE EXCEPTION 'refused at commit';" : ''} RETURN NULL; END $$`);
    await sql.query(`CREATE CONSTRAINT TRIGGER gh_hold_commit AFTER INSERT ON gatehouse_config_versions
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gh_hold_commit()`);
  };
  /** Resolves once a COMMIT waits at the gate. */
  const commitWaiting = () =>
    waitFor(async () => {
      const r = await sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'COMMIT' AND wait_event_type = 'Lock'`);
      return r.rows[0].n === 1;
    }, 'a COMMIT waiting at the gate');
  const releaseCommits = async () => {
    await sql.query('SELECT pg_advisory_unlock_all()');
    await sql.query('DROP TRIGGER IF EXISTS gh_hold_commit ON gatehouse_config_versions');
  };
  const put = (app: FastifyInstance, id: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'PUT', url: `/admin/v1/routes/${id}`, headers: { ...asAdmin, ...headers }, payload: { paths: [`/${id}`], upstream: 'u' } });
  const head = async () => (await store.head())?.version;

  beforeAll(async () => {
    pg = await startPostgres();
    store = await openConfigStore({ databaseUrl: pg.url, migrate: true, deadlineMs: DEADLINE_MS });
    admin = adminServer(store);
    await admin.ready();
    sql = new Client({ connectionString: pg.url });
    await sql.connect();
    expect((await admin.inject({ method: 'PUT', url: '/admin/v1/upstreams/u', headers: asAdmin, payload: { targets: [{ host: 'a', port: 1 }] } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await sql?.end().catch(() => undefined);
    await admin?.close();
    await store?.close();
    await pg?.destroy();
  });
  afterEach(() => releaseCommits());

  it('answers a write sent to a hung Postgres with 503 "not applied" within the deadline, and it stays not applied when Postgres resumes', async () => {
    const before = await head();
    const res = await whileFrozen(pg, () => answerOrNothing(put(admin, 'frozen')));
    expect(res).not.toBe('no answer');
    if (res === 'no answer') return;
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('GW_ERR_STORE_UNAVAILABLE');
    expect(res.json().error.message).toMatch(/nothing was changed/);
    // Resumed: the abandoned transaction is rolled back, never committed.
    await waitFor(() => head().catch(() => undefined), 'the store to answer again');
    const check = await sql.query(
      'SELECT ((SELECT count(*) FROM gatehouse_config_versions WHERE document LIKE $1) + (SELECT count(*) FROM gatehouse_config_changes WHERE body LIKE $1))::int AS n',
      ['%"frozen"%'],
    );
    expect(check.rows[0].n).toBe(0);
    expect(await head()).toBe(before);
  });

  it('answers GW_ERR_STORE_TIMEOUT with the write id when Postgres hangs after COMMIT was sent; the write record says it committed, also after a restart, and the same Idempotency-Key applies it once', async () => {
    const before = (await head())!;
    await holdCommits(false);
    const answer = put(admin, 'slow', { 'idempotency-key': 'key-slow' });
    await commitWaiting();
    // Hung with the COMMIT in hand: the client cannot know whether it will commit.
    const res = await whileFrozen(pg, () => answerOrNothing(answer));
    expect(res).not.toBe('no answer');
    if (res === 'no answer') return;
    expect(res.statusCode).toBe(503);
    const { code, writeId } = res.json().error;
    expect(code).toBe('GW_ERR_STORE_TIMEOUT');
    expect(writeId).toMatch(/^[0-9a-f-]{36}$/);
    await releaseCommits();
    // The lookup waits for the write in progress, so its answer is final.
    const record = await admin.inject({ url: `/admin/v1/writes/${writeId}`, headers: asAdmin });
    expect(record.statusCode).toBe(200);
    expect(record.json()).toMatchObject({ id: writeId, version: before + 1, committed: true });

    const retry = await put(admin, 'slow', { 'idempotency-key': 'key-slow' });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ version: before + 1, writeId, replayed: true });
    expect(await head()).toBe(before + 1);

    const restarted = adminServer(store);
    const again = await restarted.inject({ url: `/admin/v1/writes/${writeId}`, headers: asAdmin });
    await restarted.close();
    expect(again.json()).toMatchObject({ id: writeId, version: before + 1, committed: true });
  });

  it('reports a write that timed out at COMMIT and then failed as not committed, and a retry with its key applies it once', async () => {
    const before = (await head())!;
    await holdCommits(true);
    const answer = put(admin, 'doomed', { 'idempotency-key': 'key-doomed' });
    await commitWaiting();
    const res = await answer;
    expect(res.json().error.code).toBe('GW_ERR_STORE_TIMEOUT');
    await releaseCommits();
    const record = await admin.inject({ url: `/admin/v1/writes/${res.json().error.writeId}`, headers: asAdmin });
    expect(record.statusCode).toBe(404);
    expect(record.json().error.code).toBe('GW_ERR_WRITE_NOT_FOUND');
    const retry = await put(admin, 'doomed', { 'idempotency-key': 'key-doomed' });
    expect(retry.statusCode).toBe(201);
    expect(retry.json().version).toBe(before + 1);
    expect((await put(admin, 'doomed', { 'idempotency-key': 'key-doomed' })).json()).toMatchObject({ version: before + 1, replayed: true });
    expect(await head()).toBe(before + 1);
  });

  it('is unready while the store is hung and ready again when it answers', async () => {
    const registry = new Registry();
    const service = new ConfigService(store, { dropGuardPercent: 50 });
    const health = new StoreHealth({ check: () => service.current(), intervalMs: 60_000, registry });
    await health.checkOnce();
    expect(health.readiness).toEqual({ ready: true });
    await whileFrozen(pg, () => health.checkOnce());
    expect(health.readiness).toEqual({ ready: false, reason: 'the config store is unreachable' });
    expect(await registry.metrics()).toMatch(/^gatehouse_config_store_up 0$/m);
    await waitFor(async () => (await health.checkOnce(), health.readiness.ready), 'the store check to pass again');
    expect(await registry.metrics()).toMatch(/^gatehouse_config_store_up 1$/m);
  });
});
