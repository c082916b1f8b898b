/**
 * Section "config-scale": config changes at 10,000 / 50,000 / 100,000 routes and as many consumers.
 * A control plane (in this process, on PostgreSQL) and two data-plane processes following it: one
 * with incremental sync (change sets), one fetching every version whole (GATEHOUSE_CONFIG_SYNC=full,
 * the baseline, measured in the same run). Each data plane takes a steady paced load; then one
 * single-route admin write per second. Reported per size and sync mode: commit to serving (p50/p99),
 * the data plane's longest event-loop block (monitorEventLoopDelay via its /metrics) and proxy p99
 * without and with changes, admin write p99, data-plane RSS, and cold start from the store and from
 * the last-known-good file. Sizes: `--config-routes 10000,50000`; writes: `--config-writes 30`.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { buildAdminServer, hashToken, newToken } from '../../gateway/src/control-plane';
import { openConfigStore } from '../../gateway/src/store';
import { createPluginRegistry } from '../../gateway/src/plugins';
import { freePort, REPO_ROOT, spawnChild, tsNodeArgs, waitForStatus, type BenchChild } from '../children';
import type { BenchContext } from '../context';
import { createBenchDatabase, percentile } from '../control-plane/database';
import { scaleDocument, servedPaths } from '../config-scale-document';
import { GATEWAY_DIST_ENTRY, GATEWAY_SOURCE_ENTRY } from '../gateway';
import { fmtMiB, fmtMs, fmtRatio, type SectionReport, type Table } from '../report';

export const DEFAULT_CONFIG_SIZES = [10_000, 50_000, 100_000];
export const DEFAULT_CONFIG_WRITES = 30;

/** A section flag (`ctx.options`) as whole numbers above 0, comma-separated. */
function wholeNumbers(flag: string, raw: string): number[] {
  return raw.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be whole numbers above 0, comma-separated; got "${raw}"`);
    return n;
  });
}
/** `--config-modes`: the sync modes measured side by side (both by default: the full fetch is the baseline). */
function syncModes(raw: string): Mode[] {
  const modes = [...new Set(raw.split(',').map((m) => m.trim()))];
  for (const m of modes) if (m !== 'incremental' && m !== 'full') throw new Error(`--config-modes takes incremental and/or full, comma-separated; got "${raw}"`);
  return modes as Mode[];
}
/** Steady load per data plane: one request every this many ms (about 200 req/s). */
const LOAD_INTERVAL_MS = 5;
const QUIET_S = 10;
const SERVE_DEADLINE_MS = 60_000;
const READY_DEADLINE_MS = 600_000;
const PROBE_PAUSE_MS = 2;
/** Targets from the issue. */
const TARGETS = { commitP99Ms: 250, blockMs: 20, p99Ratio: 1.2, adminP99Ms: 50, rssBytes: 300 * 1024 * 1024, coldStartMs: 5_000 };

type Mode = 'incremental' | 'full';

interface DataPlaneProc {
  readonly mode: Mode;
  readonly child: BenchChild;
  readonly pool: Pool;
  readonly statusUrl: string;
  readonly dir: string;
  readonly readyMs: number;
}

async function startDataPlane(ctx: BenchContext, name: string, env: Record<string, string>): Promise<{ child: BenchChild; pool: Pool; statusUrl: string; readyMs: number }> {
  const [proxyPort, statusPort] = [await freePort(), await freePort()];
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_') && k !== 'DATABASE_URL') base[k] = v;
  Object.assign(base, {
    NODE_ENV: 'production',
    GATEHOUSE_ROLE: 'data-plane',
    GATEHOUSE_PROXY_HOST: '127.0.0.1',
    GATEHOUSE_PROXY_PORT: String(proxyPort),
    GATEHOUSE_STATUS_HOST: '127.0.0.1',
    GATEHOUSE_STATUS_PORT: String(statusPort),
    GATEHOUSE_ACCESS_LOG: 'false',
    GATEHOUSE_LOG_LEVEL: 'warn',
    GATEHOUSE_POLL_INTERVAL_MS: '5000',
    GATEHOUSE_DEREGISTRATION_DELAY_MS: '0',
    GATEHOUSE_DRAIN_TIMEOUT_MS: '2000',
    ...env,
  });
  const entry = ctx.runtime === 'dist' ? [GATEWAY_DIST_ENTRY] : tsNodeArgs(GATEWAY_SOURCE_ENTRY);
  const t0 = performance.now();
  const child = spawnChild(name, process.execPath, entry, { cwd: REPO_ROOT, env: base });
  child.proc.stdout?.resume();
  const statusUrl = `http://127.0.0.1:${statusPort}`;
  await waitForStatus(`${statusUrl}/readyz`, 200, child, READY_DEADLINE_MS);
  return { child, pool: new Pool(`http://127.0.0.1:${proxyPort}`, { connections: 4 }), statusUrl, readyMs: performance.now() - t0 };
}

/** One figure from a data plane's /metrics (prom-client default metrics, `gatehouse_` prefix). */
async function metric(statusUrl: string, name: string): Promise<number> {
  const res = await request(`${statusUrl}/metrics`);
  const text = await res.body.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}
/** The longest event-loop delay since the last scrape, ms (prom-client resets its monitor on each scrape). */
const loopMaxMs = async (dp: DataPlaneProc) => (await metric(dp.statusUrl, 'gatehouse_nodejs_eventloop_lag_max_seconds')) * 1000;

/** Paced GETs on `paths` until stopped; latencies in ms. */
function steadyLoad(pool: Pool, paths: readonly string[]): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  let n = 0;
  const inflight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (!running) return;
    const path = paths[n++ % paths.length]!;
    const t = performance.now();
    const p = pool
      .request({ method: 'GET', path })
      .then(async (res) => {
        await res.body.text();
        latencies.push(performance.now() - t);
      })
      .catch(() => {
        latencies.push(Infinity);
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }, LOAD_INTERVAL_MS);
  return {
    async stop() {
      running = false;
      clearInterval(timer);
      await Promise.all(inflight);
      return latencies;
    },
  };
}

async function servedAfter(pool: Pool, path: string, since: number): Promise<number> {
  const deadline = Date.now() + SERVE_DEADLINE_MS;
  for (;;) {
    const res = await pool.request({ method: 'GET', path });
    await res.body.text();
    if (res.statusCode === 200) return performance.now() - since;
    if (Date.now() > deadline) throw new Error(`${path} not served within ${SERVE_DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, PROBE_PAUSE_MS));
  }
}

interface SizeResult {
  readonly routes: number;
  readonly importMs: number;
  readonly adminMs: number[];
  readonly perMode: Partial<Record<Mode, { commitMs: number[]; quietP99: number; busyP99: number; quietBlockMs: number; busyBlockMs: number; rss: number; coldStoreMs: number }>>;
  readonly coldFileMs: number;
}

async function measureSize(ctx: BenchContext, routes: number, writes: number, modes: readonly Mode[]): Promise<SizeResult> {
  const db = await createBenchDatabase('cfgscale');
  const store = await openConfigStore({ databaseUrl: db.url, migrate: true });
  const token = newToken();
  // The control plane validates with the plugins, as the control-plane role does: otherwise it stores
  // plain keys that data planes hash, and every change set misses the digest (a whole fetch each time).
  const admin = buildAdminServer({ store, tokens: [{ role: 'admin', hash: hashToken(token) }], bodyLimitBytes: 512 * 1024 * 1024, dropGuardPercent: 50, plugins: createPluginRegistry().checker });
  await admin.listen({ host: '127.0.0.1', port: 0 });
  const adminUrl = `http://127.0.0.1:${(admin.server.address() as { port: number }).port}`;
  const write = async (method: 'PUT', path: string, body: unknown): Promise<number> => {
    const t = performance.now();
    const res = await request(`${adminUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    return performance.now() - t;
  };
  const dps: DataPlaneProc[] = [];
  try {
    ctx.log(`config-scale: ${routes} routes: importing the document`);
    const importMs = await write('PUT', '/admin/v1/config', scaleDocument(ctx.upstreamPort, routes));
    for (const mode of modes) {
      const dir = mkdtempSync(join(tmpdir(), `gh-cfgscale-${mode}-`));
      const started = await startDataPlane(ctx, `data-plane-${mode}`, { DATABASE_URL: db.url, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_CONFIG_SYNC: mode });
      dps.push({ mode, dir, ...started });
      ctx.log(`config-scale: ${routes} routes: ${mode} data plane ready after ${started.readyMs.toFixed(0)} ms`);
    }
    const paths = servedPaths(routes);
    const quiet = async () => {
      await Promise.all(dps.map(loopMaxMs)); // resets each monitor
      const loads = dps.map((dp) => steadyLoad(dp.pool, paths));
      await new Promise((r) => setTimeout(r, QUIET_S * 1000));
      const latencies = await Promise.all(loads.map((l) => l.stop()));
      const blocks = await Promise.all(dps.map(loopMaxMs));
      return dps.map((_, i) => ({ p99: percentile(latencies[i]!, 99), blockMs: blocks[i]! }));
    };
    const q = await quiet();
    ctx.log(`config-scale: ${routes} routes: ${writes} single-route writes, one per second`);
    const loads = dps.map((dp) => steadyLoad(dp.pool, paths));
    const adminMs: number[] = [];
    const commitMs: number[][] = dps.map(() => []);
    for (let i = 0; i < writes; i++) {
      const next = performance.now() + 1000;
      adminMs.push(await write('PUT', `/admin/v1/routes/w${i}`, { paths: [`/w${i}`], upstream: 'bench' }));
      const t0 = performance.now();
      const served = await Promise.all(dps.map((dp) => servedAfter(dp.pool, `/w${i}`, t0)));
      served.forEach((ms, k) => commitMs[k]!.push(ms));
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    const busy = await Promise.all(loads.map((l) => l.stop()));
    const busyBlocks = await Promise.all(dps.map(loopMaxMs));
    const rss = await Promise.all(dps.map((dp) => metric(dp.statusUrl, 'gatehouse_process_resident_memory_bytes')));

    // Cold start from the last-known-good file: the store unreachable (a closed port), the file of the incremental data plane.
    const lkgDir = mkdtempSync(join(tmpdir(), 'gh-cfgscale-lkg-'));
    copyFileSync(join(dps[0]!.dir, 'last-known-good.json'), join(lkgDir, 'last-known-good.json'));
    const closed = await freePort();
    const fromFile = await startDataPlane(ctx, 'data-plane-lkg', { DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/none`, GATEHOUSE_DATA_DIR: lkgDir });
    await fromFile.pool.close();
    await fromFile.child.stop('SIGTERM');
    rmSync(lkgDir, { recursive: true, force: true });

    const perMode = {} as SizeResult['perMode'];
    dps.forEach((dp, k) => {
      perMode[dp.mode] = { commitMs: commitMs[k]!, quietP99: q[k]!.p99, busyP99: percentile(busy[k]!, 99), quietBlockMs: q[k]!.blockMs, busyBlockMs: busyBlocks[k]!, rss: rss[k]!, coldStoreMs: dp.readyMs };
    });
    return { routes, importMs, adminMs, perMode, coldFileMs: fromFile.readyMs };
  } finally {
    for (const dp of dps) {
      await dp.pool.close();
      await dp.child.stop('SIGTERM');
      rmSync(dp.dir, { recursive: true, force: true });
    }
    await admin.close();
    await store.close();
    await db.drop();
  }
}

export async function configScaleSection(ctx: BenchContext): Promise<SectionReport> {
  const sizes = wholeNumbers('--config-routes', ctx.options.configRoutes ?? DEFAULT_CONFIG_SIZES.join(','));
  const [writes] = wholeNumbers('--config-writes', ctx.options.configWrites ?? String(DEFAULT_CONFIG_WRITES));
  const modes = syncModes(ctx.options.configModes ?? 'incremental,full');
  const results: SizeResult[] = [];
  for (const routes of sizes) results.push(await measureSize(ctx, routes, writes, modes));
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const r of results) {
    for (const mode of modes) {
      const m = r.perMode[mode]!;
      rows.push([
        r.routes.toLocaleString('en-US'),
        mode,
        `${fmtMs(percentile(m.commitMs, 50))} / ${fmtMs(percentile(m.commitMs, 99))}`,
        `${fmtMs(m.quietBlockMs)} → ${fmtMs(m.busyBlockMs)}`,
        `${fmtMs(m.quietP99)} → ${fmtMs(m.busyP99)}`,
        fmtMiB(m.rss),
        fmtMs(m.coldStoreMs),
      ]);
    }
    const inc = r.perMode.incremental;
    const full = r.perMode.full;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    notes.push(
      `${r.routes.toLocaleString('en-US')} routes: import ${fmtMs(r.importMs)} ms; admin single-route write p50 ${fmtMs(percentile(r.adminMs, 50))} ms, p99 ${fmtMs(percentile(r.adminMs, 99))} ms (target < ${TARGETS.adminP99Ms}: ${verdict(percentile(r.adminMs, 99) < TARGETS.adminP99Ms)}); cold start from the last-known-good file ${fmtMs(r.coldFileMs)} ms`,
    );
    if (inc) {
      const against = full
        ? { commit: ` ${fmtRatio(percentile(inc.commitMs, 99) / percentile(full.commitMs, 99))} of full`, block: ` vs ${fmtMs(full.busyBlockMs)} full`, p99: ` vs ${fmtRatio(full.busyP99 / full.quietP99)} full` }
        : { commit: '', block: '', p99: '' };
      notes.push(
        `${r.routes.toLocaleString('en-US')} routes, incremental${full ? ' vs full' : ' alone'}: commit→serving p99 ${fmtMs(percentile(inc.commitMs, 99))} ms${against.commit} (target < ${TARGETS.commitP99Ms} ms: ${verdict(percentile(inc.commitMs, 99) < TARGETS.commitP99Ms)}); longest block during changes ${fmtMs(inc.busyBlockMs)} ms${against.block} (target < ${TARGETS.blockMs}: ${verdict(inc.busyBlockMs < TARGETS.blockMs)}); proxy p99 with/without changes ${fmtRatio(inc.busyP99 / inc.quietP99)}${against.p99} (target ≤ ${TARGETS.p99Ratio}×: ${verdict(inc.busyP99 / inc.quietP99 <= TARGETS.p99Ratio)}); RSS ${fmtMiB(inc.rss)} (target < ${fmtMiB(TARGETS.rssBytes)}: ${verdict(inc.rss < TARGETS.rssBytes)}); cold start from the store ${fmtMs(inc.coldStoreMs)} ms (target < ${TARGETS.coldStartMs}: ${verdict(inc.coldStoreMs < TARGETS.coldStartMs)})`,
      );
    }
  }
  const table: Table = {
    title: `Config at scale: routes and as many consumers, one data plane per sync mode under ~${Math.round(1000 / LOAD_INTERVAL_MS)} req/s, ${writes} single-route writes at 1/s`,
    headers: ['routes', 'sync', 'commit→serving p50 / p99 ms', 'longest loop block ms, quiet → changes', 'proxy p99 ms, quiet → changes', 'RSS', 'cold start (store) ms'],
    rows,
  };
  notes.push('Cold start from S3 is not measured here (the bench has no local S3 server); it runs the same whole-version path as the store after the download.');
  return { name: 'config-scale', tables: [table], notes };
}
