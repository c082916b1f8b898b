/**
 * Section "proxy": the gateway (one route, no plugins), the bare undici proxy and nginx, each in front
 * of the same upstream and driven by the same load; rounds are interleaved across targets.
 */
import { httpStatus, startBenchServer } from '../children';
import { gatewayLabel, medianResult, type BenchContext } from '../context';
import { gatewayAvailable, oneRouteConfig, startGateway, GATEWAY_SOURCE_ENTRY, GATEWAY_DIST_ENTRY } from '../gateway';
import { measure, type LoadResult } from '../load';
import { startNginx } from '../nginx';
import { monotonicUs, summariseProfiles, type ProfileWindow } from '../profile';
import { LOAD_HEADERS, loadRow, ratioLine, type SectionReport } from '../report';

interface Target {
  readonly name: string;
  readonly url: string;
  readonly stop: () => Promise<void>;
  readonly runs: LoadResult[];
  /** The server's process (for CPU time). */
  readonly pid: number;
  /** Whether it runs under --cpu-prof. */
  readonly profiled: boolean;
  /** Monotonic window of its measured runs (profile samples outside are ignored). */
  window?: ProfileWindow;
}

async function expectOk(name: string, url: string): Promise<void> {
  const status = await httpStatus(url);
  if (status !== 200) throw new Error(`${name} answered ${String(status)} instead of 200 at ${url}; is it configured correctly?`);
}

export async function proxySection(ctx: BenchContext): Promise<SectionReport> {
  const targets: Target[] = [];
  const skipped: Record<string, string> = {};
  const notes: string[] = [];
  const profileFlags = ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`] : [];
  const profiled = ctx.profileDir !== undefined;
  try {
    if (gatewayAvailable(ctx.runtime)) {
      const gw = await startGateway({ runtime: ctx.runtime, role: ctx.role, config: oneRouteConfig(ctx.upstreamPort), nodeFlags: profileFlags });
      targets.push({ name: gatewayLabel(ctx), url: `http://127.0.0.1:${gw.proxyPort}/`, stop: gw.stop, runs: [], pid: gw.child.pid, profiled });
    } else {
      skipped.gateway = `not available: ${ctx.runtime === 'dist' ? GATEWAY_DIST_ENTRY : GATEWAY_SOURCE_ENTRY} is missing`;
    }
    const bare = await startBenchServer('bare-proxy.ts', [String(ctx.upstreamPort)], profileFlags);
    targets.push({ name: 'bare undici', url: `http://127.0.0.1:${bare.port}/`, stop: () => bare.child.stop(), runs: [], pid: bare.child.pid, profiled });
    const nginx = await startNginx(ctx.upstreamPort);
    if (nginx) targets.push({ name: 'nginx', url: `http://127.0.0.1:${nginx.port}/`, stop: nginx.stop, runs: [], pid: nginx.child.pid, profiled: false });
    else skipped.nginx = 'not installed (apt-get install nginx)';

    for (const t of targets) await expectOk(t.name, t.url);
    for (let round = 1; round <= ctx.rounds; round++) {
      for (const t of targets) {
        ctx.log(`proxy: round ${round}/${ctx.rounds}, ${t.name}`);
        const fromUs = monotonicUs();
        t.runs.push(await measure(t.url, ctx.load, t.pid, round === 1));
        t.window = { fromUs: t.window?.fromUs ?? fromUs, toUs: monotonicUs() };
      }
    }
  } finally {
    for (const t of targets) await t.stop();
  }

  const result = (prefix: string): LoadResult | undefined => {
    const t = targets.find((x) => x.name.startsWith(prefix));
    return t && t.runs.length ? medianResult(t.runs) : undefined;
  };
  const gateway = result('gateway');
  const bare = result('bare undici');
  const nginx = result('nginx');
  const rows = [
    loadRow(gatewayLabel(ctx), gateway),
    loadRow('bare undici', bare),
    loadRow('nginx', nginx),
  ];
  for (const [name, why] of Object.entries(skipped)) notes.push(`${name} skipped: ${why}`);
  if (gateway && bare) notes.push(ratioLine('gateway / bare undici', gateway, bare, true));
  if (gateway && nginx) notes.push(ratioLine('gateway / nginx', gateway, nginx, false));
  if (bare && nginx) notes.push(ratioLine('bare undici / nginx', bare, nginx, false));
  for (const t of targets) if (ctx.profileDir && t.profiled) notes.push(...summariseProfiles(t.name, ctx.profileDir, t.pid, t.window));
  const title = `${ctx.load.tool}, ${ctx.load.connections} connections, ${ctx.load.durationS} s per run, ${ctx.load.warmupS} s warm-up of each target first, median of ${ctx.rounds} interleaved round(s)`;
  return { name: 'proxy', tables: [{ title, headers: LOAD_HEADERS, rows }], notes };
}
