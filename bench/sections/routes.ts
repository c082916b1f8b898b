/**
 * Section "routes": throughput of the gateway with a 10,000-route table against a table holding only
 * the route the request matches (same route, same path: only the table size differs), and the time
 * to validate and compile the large table.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIR, httpStatus, REPO_ROOT, tsNodeArgs } from '../children';
import type { CompileTiming } from '../compile-time';
import { medianResult, type BenchContext } from '../context';
import { gatewayAvailable, startGateway, type RunningGateway } from '../gateway';
import { measure, type LoadResult } from '../load';
import { fmtMs, LOAD_HEADERS, loadRow, ratioLine, type SectionReport, type Table } from '../report';
import { LARGE_ROUTE_COUNT, largeRouteConfig, matchedRouteOnlyConfig, ROUTED_PATH } from '../route-table';

const COMPILE_TIMEOUT_MS = 120_000;

function compileTiming(upstreamPort: number): Promise<CompileTiming> {
  const args = [...tsNodeArgs(join(BENCH_DIR, 'compile-time.ts')), String(LARGE_ROUTE_COUNT), String(upstreamPort), ROUTED_PATH];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, timeout: COMPILE_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new Error(`compile-time.ts failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as CompileTiming);
    });
  });
}

function timingTable(t: CompileTiming, readyMs: Record<string, number>): Table {
  const runs = (values: readonly number[]): string => values.map(fmtMs).join(' / ');
  return {
    title: `${t.routes.toLocaleString('en-US')}-route table: validate and compile, ms per run (first / second / third); match time`,
    headers: ['step', 'time'],
    rows: [
      ['validateConfig (first run compiles the Ajv schema)', runs(t.validateMs)],
      ['compileSnapshot', runs(t.compileMs)],
      [`Snapshot.match(${ROUTED_PATH}), µs per match, ${t.routes.toLocaleString('en-US')} routes`, t.matchUs.toFixed(2)],
      [`Snapshot.match(${ROUTED_PATH}), µs per match, the matched route alone`, t.matchOneRouteUs.toFixed(2)],
      ...Object.entries(readyMs).map(([name, ms]) => [`gateway start to /readyz 200, ${name}`, fmtMs(ms)]),
    ],
  };
}

export async function routesSection(ctx: BenchContext): Promise<SectionReport> {
  ctx.log('routes: timing validation and compile in a separate process');
  const timing = await compileTiming(ctx.upstreamPort);
  if (!gatewayAvailable(ctx.runtime)) {
    return { name: 'routes', tables: [timingTable(timing, {})], notes: ['gateway not available: throughput comparison skipped'] };
  }
  const gateways: { name: string; gw: RunningGateway; runs: LoadResult[] }[] = [];
  try {
    for (const [name, config] of [
      ['the matched route alone', matchedRouteOnlyConfig(ctx.upstreamPort)],
      [`${LARGE_ROUTE_COUNT.toLocaleString('en-US')} routes`, largeRouteConfig(ctx.upstreamPort)],
    ] as const) {
      const gw = await startGateway({ runtime: ctx.runtime, role: ctx.role, config });
      gateways.push({ name, gw, runs: [] });
      const url = `http://127.0.0.1:${gw.proxyPort}${ROUTED_PATH}`;
      const status = await httpStatus(url);
      if (status !== 200) throw new Error(`gateway with ${name} answered ${String(status)} for ${ROUTED_PATH}, expected 200`);
    }
    for (let round = 1; round <= ctx.rounds; round++) {
      for (const g of gateways) {
        ctx.log(`routes: round ${round}/${ctx.rounds}, ${g.name}`);
        g.runs.push(await measure(`http://127.0.0.1:${g.gw.proxyPort}${ROUTED_PATH}`, ctx.load, g.gw.child.pid, round === 1));
      }
    }
  } finally {
    for (const g of gateways) await g.gw.stop();
  }
  const [one, many] = gateways.map((g) => medianResult(g.runs));
  const readyMs = Object.fromEntries(gateways.map((g) => [g.name, g.gw.readyMs]));
  const load: Table = {
    title: `GET ${ROUTED_PATH}, ${ctx.load.tool}, ${ctx.load.connections} connections, median of ${ctx.rounds} round(s)`,
    headers: LOAD_HEADERS,
    rows: gateways.map((g, i) => loadRow(`gateway, ${g.name}`, i === 0 ? one : many)),
  };
  return {
    name: 'routes',
    tables: [load, timingTable(timing, readyMs)],
    notes: [ratioLine(`${LARGE_ROUTE_COUNT.toLocaleString('en-US')} routes / the matched route alone`, many!, one!, false)],
  };
}
