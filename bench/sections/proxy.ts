/**
 * Section "proxy": the gateway (one route, no plugins; with the shipped defaults, metrics on and the
 * access log on, and with the access log off), the bare undici proxy and nginx, each in front of the
 * same upstream and driven by the same load; rounds are interleaved across targets. Two upstreams:
 * the Node bench upstream, and nginx answering 12 bytes itself (when installed), which leaves the
 * cores to the proxy so its own CPU is what is measured. Ratios to the bare proxy are per upstream.
 */
import { httpStatus, startBenchServer } from '../children';
import { gatewayLabel, medianResult, type BenchContext } from '../context';
import { gatewayAvailable, oneRouteConfig, startGateway, GATEWAY_SOURCE_ENTRY, GATEWAY_DIST_ENTRY } from '../gateway';
import { measure, type LoadResult } from '../load';
import { startNginx } from '../nginx';
import { monotonicUs, summariseProfiles, type ProfileWindow } from '../profile';
import { LOAD_HEADERS, loadRow, ratioLine, type SectionReport, type Table } from '../report';

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

interface Upstream {
  readonly name: string;
  readonly port: number;
}

/** The gateway variants measured: what a fresh install runs, and the same with the access log off. */
const GATEWAY_VARIANTS = [
  { suffix: 'defaults', env: { GATEHOUSE_ACCESS_LOG: 'true' } },
  { suffix: 'access log off', env: { GATEHOUSE_ACCESS_LOG: 'false' } },
] as const;

/** The builds measured: this checkout, and the `--before` one when given. */
function builds(ctx: BenchContext): { label: string; entry?: string }[] {
  const current = { label: gatewayLabel(ctx) };
  return ctx.beforeEntry ? [current, { label: `before: ${gatewayLabel(ctx)}`, entry: ctx.beforeEntry }] : [current];
}

async function expectOk(name: string, url: string): Promise<void> {
  const status = await httpStatus(url);
  if (status !== 200) throw new Error(`${name} answered ${String(status)} instead of 200 at ${url}; is it configured correctly?`);
}

/** Starts every target in front of `upstream` (names carry the upstream, e.g. `bare undici → nginx`). */
async function startTargets(ctx: BenchContext, upstream: Upstream, targets: Target[], skipped: Record<string, string>): Promise<void> {
  const profileFlags = ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`] : [];
  const profiled = ctx.profileDir !== undefined;
  const at = ` → ${upstream.name}`;
  if (gatewayAvailable(ctx.runtime)) {
    for (const build of builds(ctx)) {
      for (const v of GATEWAY_VARIANTS) {
        const gw = await startGateway({ runtime: ctx.runtime, role: ctx.role, config: oneRouteConfig(upstream.port), nodeFlags: profileFlags, env: v.env, entry: build.entry });
        targets.push({ name: `${build.label}, ${v.suffix}${at}`, url: `http://127.0.0.1:${gw.proxyPort}/`, stop: gw.stop, runs: [], pid: gw.child.pid, profiled });
      }
    }
  } else {
    skipped.gateway = `not available: ${ctx.runtime === 'dist' ? GATEWAY_DIST_ENTRY : GATEWAY_SOURCE_ENTRY} is missing`;
  }
  const bare = await startBenchServer('bare-proxy.ts', [String(upstream.port)], profileFlags);
  targets.push({ name: `bare undici${at}`, url: `http://127.0.0.1:${bare.port}/`, stop: () => bare.child.stop(), runs: [], pid: bare.child.pid, profiled });
  const nginx = await startNginx(upstream.port);
  if (nginx) targets.push({ name: `nginx${at}`, url: `http://127.0.0.1:${nginx.port}/`, stop: nginx.stop, runs: [], pid: nginx.child.pid, profiled: false });
  else skipped.nginx = 'not installed (apt-get install nginx)';
}

export async function proxySection(ctx: BenchContext): Promise<SectionReport> {
  const targets: Target[] = [];
  const skipped: Record<string, string> = {};
  const notes: string[] = [];
  const upstreams: Upstream[] = [{ name: 'node upstream', port: ctx.upstreamPort }];
  const nginxUpstream = await startNginx();
  if (nginxUpstream) upstreams.push({ name: 'nginx upstream', port: nginxUpstream.port });
  else skipped['nginx upstream'] = 'nginx is not installed (apt-get install nginx)';
  try {
    for (const u of upstreams) await startTargets(ctx, u, targets, skipped);
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
    await nginxUpstream?.stop();
  }

  const tables: Table[] = [];
  const title = `${ctx.load.tool}, ${ctx.load.connections} connections, ${ctx.load.durationS} s per run, ${ctx.load.warmupS} s warm-up of each target first, median of ${ctx.rounds} interleaved round(s)`;
  for (const u of upstreams) {
    const mine = targets.filter((t) => t.name.endsWith(` → ${u.name}`));
    const result = (prefix: string): LoadResult | undefined => {
      const t = mine.find((x) => x.name.startsWith(prefix));
      return t && t.runs.length ? medianResult(t.runs) : undefined;
    };
    tables.push({ title: `${u.name}: ${title}`, headers: LOAD_HEADERS, rows: mine.map((t) => loadRow(t.name, t.runs.length ? medianResult(t.runs) : undefined)) });
    const bare = result('bare undici');
    const nginx = result('nginx');
    for (const build of builds(ctx)) {
      for (const v of GATEWAY_VARIANTS) {
        const gateway = result(`${build.label}, ${v.suffix}`);
        const label = `${u.name}, ${build.entry ? 'before' : 'gateway'} (${v.suffix})`;
        if (gateway && bare) notes.push(ratioLine(`${label} / bare undici`, gateway, bare, build.entry === undefined));
        if (gateway && nginx && !build.entry) notes.push(ratioLine(`${label} / nginx`, gateway, nginx, false));
      }
    }
    if (bare && nginx) notes.push(ratioLine(`${u.name}, bare undici / nginx`, bare, nginx, false));
  }
  for (const [name, why] of Object.entries(skipped)) notes.push(`${name} skipped: ${why}`);
  for (const t of targets) if (ctx.profileDir && t.profiled) notes.push(...summariseProfiles(t.name, ctx.profileDir, t.pid, t.window));
  return { name: 'proxy', tables, notes };
}
