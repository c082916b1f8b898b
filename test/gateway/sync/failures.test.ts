/**
 * The data plane under store failures, with real proxied requests: connections terminated mid-traffic
 * and a Postgres server stopped. Every request is served from the last version, the sync reconnects
 * and picks up versions written while it was cut off; admin writes while Postgres is down answer 503
 * and leave nothing behind.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Client } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { Agent, request } from 'undici';
import { ConfigSync } from '../../../gateway/src/sync';
import { buildDataPlaneNode, type DataPlaneNode } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { documentWithRoutes } from '../../helpers/control-plane/documents';
import { startPostgres, type PostgresServer } from '../../helpers/control-plane/postgres-server';
import { waitFor } from '../../helpers/control-plane/wait';
import { adminServer, asAdmin } from '../control-plane/admin-helpers';

/** Sequential requests until stopped; counts answers and collects every failure. */
function traffic(url: string, dispatcher: Agent) {
  const results = { ok: 0, failures: [] as string[] };
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        const res = await request(url, { dispatcher });
        await res.body.text();
        if (res.statusCode === 200) results.ok++;
        else results.failures.push(`status ${res.statusCode}`);
      } catch (err) {
        results.failures.push((err as Error).message);
      }
    }
  })();
  return {
    results,
    stop: async () => {
      stopped = true;
      await done;
      return results;
    },
  };
}

describe('data plane through config store failures', () => {
  let pg: PostgresServer;
  let upstream: Server;
  let upstreamPort: number;
  let writer: ConfigStore;
  let reader: ConfigStore;
  let node: DataPlaneNode;
  let sync: ConfigSync;
  let admin: FastifyInstance;
  let proxyUrl: string;
  let dir: string;
  const registry = new Registry();
  const logLines: string[] = [];
  const record = (_obj: object, msg: string) => void logLines.push(msg);
  const agent = new Agent({ connections: 4 });

  const doc = (extra: string[]) => {
    const d = documentWithRoutes(5, upstreamPort);
    for (const id of extra) d.routes.push({ id, paths: [`/${id}`], upstream: 'backend' } as never);
    return d;
  };
  /** Commits, retrying while the writer's pool replaces connections the test killed. */
  const commitEventually = (extra: string[]) =>
    waitFor(() => writer.commit({ author: 'test', build: () => ({ document: doc(extra) }) }).catch(() => undefined), 'a commit to succeed');
  const status = async (path: string) => {
    const res = await request(`${proxyUrl}${path}`, { dispatcher: agent });
    await res.body.text();
    return res.statusCode;
  };
  const syncErrors = async (reason: string) =>
    (await registry.getSingleMetric('gatehouse_config_sync_errors_total')!.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-failures-'));
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as { port: number }).port;
    pg = await startPostgres();
    writer = await openConfigStore({ databaseUrl: pg.url, migrate: true });
    reader = await openConfigStore({ databaseUrl: pg.url, migrate: false });
    admin = adminServer(writer);
    await writer.commit({ author: 'test', build: () => ({ document: doc([]) }) });

    const settings = loadSettings({ accessLog: false, logLevel: 'silent' }, {});
    node = buildDataPlaneNode({ settings, log: pino({ level: 'silent' }), status: false });
    await node.proxy.listen({ host: '127.0.0.1', port: 0 });
    proxyUrl = `http://127.0.0.1:${(node.proxy.server.address() as { port: number }).port}`;
    // A one-minute poll: only the LISTEN reconnect and its catch-up can deliver within the waits.
    sync = new ConfigSync({
      sink: node.dataPlane,
      store: reader,
      lastKnownGoodFile: join(dir, 'lkg.json'),
      pollIntervalMs: 60_000,
      reconnectBaseMs: 50,
      reconnectMaxMs: 500,
      startWithoutConfig: false,
      dropGuardPercent: 50,
      registry,
      logger: { info: record, warn: record, error: record },
    });
    await sync.start();
    expect(await status('/r0')).toBe(200);
  }, 120_000);

  afterAll(async () => {
    // Every step runs even if one fails, and the failure names its step.
    const steps: [string, () => Promise<unknown> | undefined][] = [
      ['sync', () => sync?.stop()],
      ['admin', () => admin?.close()],
      ['proxy', () => node?.proxy.close()],
      ['data plane', () => node?.dataPlane.close()],
      ['reader', () => reader?.close()],
      ['writer', () => writer?.close()],
      ['postgres', () => pg?.destroy()],
      ['agent', () => agent.close()],
      ['upstream', () => new Promise((r) => upstream.close(r))],
      ['dir', () => rm(dir, { recursive: true, force: true })],
    ];
    const failed: string[] = [];
    for (const [name, step] of steps) await Promise.resolve(step()).catch((err: unknown) => failed.push(`${name}: ${(err as Error).message}`));
    expect(failed).toEqual([]);
  }, 60_000);

  it('keeps serving when its store connections are terminated, reconnects and picks up what was written meanwhile', async () => {
    const load = traffic(`${proxyUrl}/r0`, agent);
    await waitFor(() => load.results.ok >= 20, 'traffic before the cut');
    const listenErrors = await syncErrors('listen');
    const c = new Client({ connectionString: pg.url });
    await c.connect();
    const killed = await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`);
    await c.end();
    expect(killed.rowCount).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await syncErrors('listen')) > listenErrors, 'the sync to notice the lost LISTEN connection');
    await waitFor(() => logLines.includes('LISTEN reconnected: config versions are pushed again'), 'a log line saying LISTEN reconnected');
    const v = await commitEventually(['fresh']);
    await waitFor(async () => (await status('/fresh')) === 200, 'the version written while cut off to be served');
    expect(sync.current?.version).toBe(v.version);
    const { ok, failures } = await load.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
  });

  it('serves every request from the last version while Postgres is stopped; admin writes answer 503 and leave nothing behind', async () => {
    const before = sync.current!.version;
    const load = traffic(`${proxyUrl}/r0`, agent);
    await waitFor(() => load.results.ok >= 20, 'traffic before the stop');
    await pg.stop();
    const okAtStop = load.results.ok;
    const res = await admin.inject({ method: 'PUT', url: '/admin/v1/routes/while-down', headers: asAdmin, payload: { paths: ['/while-down'], upstream: 'backend' } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('GW_ERR_STORE_UNAVAILABLE');
    expect(res.json().error.message).toBe('The config store (PostgreSQL) is unavailable; nothing was changed. Retry when it is back.');
    await waitFor(() => load.results.ok >= okAtStop + 50, 'requests served while Postgres is down');

    await pg.start();
    const v = await commitEventually(['after']);
    expect(v.version).toBe(before + 1);
    await waitFor(async () => (await status('/after')) === 200, 'the version written after the restart to be served');
    expect(await status('/while-down')).toBe(404);
    expect((await writer.list({ limit: 10 })).map((h) => h.message)).not.toContain('put route while-down');
    const { failures } = await load.stop();
    expect(failures).toEqual([]);
  });
});
