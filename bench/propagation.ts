/**
 * Control-plane propagation: three data-plane processes follow a control plane over PostgreSQL.
 * For each admin write (a new route), the time from the admin API's answer to all three data planes
 * serving the route; 100 writes with push (LISTEN) on, then with the poll alone. Also the time to apply
 * a 10,000-route version and the admin write throughput.
 * Run: npm run bench -- --only propagation [--writes 100] [--poll-writes 100] [--poll-ms 1000]
 * Needs PostgreSQL at 127.0.0.1:5432 (or BENCH_DATABASE_URL). Bounded: every wait has a deadline.
 */
import { createServer, type Server } from 'node:http';
import { Pool, request } from 'undici';
import { buildAdminServer, hashToken, newToken } from '../gateway/src/control-plane';
import { openConfigStore, type ConfigStore } from '../gateway/src/store';
import { startGateway, type RunningGateway } from '../support/gateway-process';
import { createBenchDatabase, percentile } from './control-plane/database';
import type { BenchContext } from './context';
import type { SectionReport } from './report';

const SERVE_DEADLINE_MS = 30_000;
const DATA_PLANES = 3;
const PROBE_PAUSE_MS = 2;

interface DataPlaneProc {
  gateway: RunningGateway;
  pool: Pool;
}

async function startDataPlanes(databaseUrl: string, push: boolean, pollMs: number): Promise<DataPlaneProc[]> {
  return Promise.all(
    Array.from({ length: DATA_PLANES }, async () => {
      const gateway = await startGateway({
        env: { NODE_ENV: 'production', DATABASE_URL: databaseUrl, GATEHOUSE_CONFIG_PUSH: String(push), GATEHOUSE_POLL_INTERVAL_MS: String(pollMs) },
      });
      return { gateway, pool: new Pool(gateway.origin, { connections: 2 }) };
    }),
  );
}

async function stopDataPlanes(dps: DataPlaneProc[]): Promise<void> {
  await Promise.all(
    dps.map(async (dp) => {
      await dp.pool.close();
      await dp.gateway.stop();
    }),
  );
}

/** Milliseconds from `since` until `pool` answers 200 on `path`. */
async function servedAfter(pool: Pool, path: string, since: bigint): Promise<number> {
  const deadline = Date.now() + SERVE_DEADLINE_MS;
  for (;;) {
    const res = await pool.request({ method: 'GET', path });
    await res.body.text();
    if (res.statusCode === 200) return Number(process.hrtime.bigint() - since) / 1e6;
    if (Date.now() > deadline) throw new Error(`${path} not served within ${SERVE_DEADLINE_MS} ms`);
    // A short pause: probing in a tight loop would take the CPU the data planes need to apply.
    await new Promise((r) => setTimeout(r, PROBE_PAUSE_MS));
  }
}

interface Admin {
  url: string;
  token: string;
  close(): Promise<void>;
}

async function startAdmin(store: ConfigStore): Promise<Admin> {
  const token = newToken();
  const app = buildAdminServer({ store, tokens: [{ role: 'admin', hash: hashToken(token) }], bodyLimitBytes: 64 * 1024 * 1024, dropGuardPercent: 50 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, token, close: () => app.close() };
}

async function adminWrite(admin: Admin, method: 'PUT', path: string, body: unknown): Promise<void> {
  const res = await request(`${admin.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`);
}

/**
 * `writes` route additions; per write, the slowest of the data planes to serve it. `jitterMs` waits a
 * random time before each write so writes do not fall in step with the data planes' poll timers (each
 * write follows the previous one's apply, which just followed a poll).
 */
async function propagation(admin: Admin, dps: DataPlaneProc[], prefix: string, writes: number, jitterMs = 0) {
  const latencies: number[] = [];
  for (let i = 0; i < writes; i++) {
    if (jitterMs) await new Promise((r) => setTimeout(r, Math.random() * jitterMs));
    const id = `${prefix}${i}`;
    await adminWrite(admin, 'PUT', `/admin/v1/routes/${id}`, { paths: [`/${id}`], upstream: 'bench' });
    const t0 = process.hrtime.bigint();
    const each = await Promise.all(dps.map((dp) => servedAfter(dp.pool, `/${id}`, t0)));
    latencies.push(Math.max(...each));
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
}

async function throughput(admin: Admin, prefix: string, count: number, concurrency: number): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const id = `${prefix}${next++}`;
        await adminWrite(admin, 'PUT', `/admin/v1/routes/${id}`, { paths: [`/${id}`], upstream: 'bench' });
      }
    }),
  );
  return count / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const routes = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, paths: [`/${prefix}${i}`], upstream: 'bench' }));

/** A whole-number section flag from the bench's command line. */
function count(ctx: BenchContext, name: string): number {
  const n = Number(ctx.options[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a whole number above 0, got "${ctx.options[name]}"`);
  return n;
}

/** The propagation section (`npm run bench -- --only propagation`): its figures, one note each. */
export async function propagationSection(ctx: BenchContext): Promise<SectionReport> {
  const writes = count(ctx, 'writes');
  const pollWrites = count(ctx, 'pollWrites');
  const pollMs = count(ctx, 'pollMs');
  const db = await createBenchDatabase('propagation');
  const upstream: Server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamPort = (upstream.address() as { port: number }).port;
  const store = await openConfigStore({ databaseUrl: db.url, migrate: true });
  const admin = await startAdmin(store);
  const out: string[] = [];
  const log = (line: string) => {
    out.push(line);
    ctx.log(`propagation: ${line}`);
  };
  try {
    await adminWrite(admin, 'PUT', '/admin/v1/config', { upstreams: [{ id: 'bench', targets: [{ host: '127.0.0.1', port: upstreamPort }] }], routes: routes(20, 'base') });

    let dps = await startDataPlanes(db.url, true, 5_000);
    const push = await propagation(admin, dps, 'push', writes);
    log(`push on (poll 5000 ms): ${writes} writes, p50 ${push.p50.toFixed(1)} ms, p99 ${push.p99.toFixed(1)} ms, max ${push.max.toFixed(1)} ms`);

    // A 10,000-route version: the whole config replaced in one write.
    const big = { upstreams: [{ id: 'bench', targets: [{ host: '127.0.0.1', port: upstreamPort }] }], routes: [...routes(10_000, 'big'), ...routes(120, 'push')] };
    const tw = process.hrtime.bigint();
    await adminWrite(admin, 'PUT', '/admin/v1/config', big);
    const writeMs = Number(process.hrtime.bigint() - tw) / 1e6;
    const t0 = process.hrtime.bigint();
    const applied = Math.max(...(await Promise.all(dps.map((dp) => servedAfter(dp.pool, '/big9999', t0)))));
    log(`10,000-route version: admin PUT ${writeMs.toFixed(0)} ms, then all ${DATA_PLANES} data planes serving it after ${applied.toFixed(0)} ms`);
    await stopDataPlanes(dps);

    const big1 = await throughput(admin, 'tbig', 20, 1);
    log(`admin write throughput on the 10,000-route config: ${big1.toFixed(1)} writes/s (1 client)`);
    await adminWrite(admin, 'PUT', '/admin/v1/config?allowDrop=true', { upstreams: [{ id: 'bench', targets: [{ host: '127.0.0.1', port: upstreamPort }] }], routes: routes(100, 'small') });
    const small1 = await throughput(admin, 'ts1-', 200, 1);
    const small4 = await throughput(admin, 'ts4-', 200, 4);
    log(`admin write throughput on a 100-route config: ${small1.toFixed(0)} writes/s (1 client), ${small4.toFixed(0)} writes/s (4 clients)`);

    dps = await startDataPlanes(db.url, false, pollMs);
    const poll = await propagation(admin, dps, 'poll', pollWrites, pollMs);
    log(`poll only (every ${pollMs} ms): ${pollWrites} writes, p50 ${poll.p50.toFixed(1)} ms, p99 ${poll.p99.toFixed(1)} ms, max ${poll.max.toFixed(1)} ms`);
    await stopDataPlanes(dps);
  } finally {
    await admin.close();
    await store.close();
    await new Promise((r) => upstream.close(r));
    await db.drop();
  }
  return { name: 'propagation', tables: [], notes: out };
}
