/**
 * Section "plugins": what key-auth plus rate limiting on Redis cost the gateway, with the shipped
 * settings (metrics on, 5 ms decision budget unless `--budget-ms`) and the access log on (the default) and off. At peak
 * (fixed connections): CPU per request and throughput against the same gateway without plugins; then
 * at a fixed rate (h2load), 70% of the lower peak, the p99 the plugins add. The upstream is nginx's
 * 12-byte answer when installed (else the Node upstream). Redis: REDIS_URL, default 127.0.0.1:6379.
 * Also: the CPU of the local mirror that records every admitted Redis decision (outage reconciliation).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { medianResult, gatewayLabel, type BenchContext } from '../context';
import { fixedRate, h2loadAvailable, type FixedRateResult } from '../fixed-rate';
import { benchConfig, startGateway, type RunningGateway } from '../gateway';
import { measure, type LoadResult } from '../load';
import { startNginx } from '../nginx';
import { fmtMs, fmtRatio, LOAD_HEADERS, loadRow, type SectionReport, type Table } from '../report';
import { measureLocalMirror } from './local-mirror';

const API_KEY = 'bench-key-0123456789abcdef';
const LOAD_FRACTION = 0.7;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Targets (issue 14): CPU per request with the plugins at most 1.2× without; p99 added at 70% load at most 1 ms. */
const TARGET_MAX_CPU_RATIO = 1.2;
const TARGET_MAX_P99_ADDED_MS = 1;

interface Target {
  readonly name: string;
  readonly plugins: boolean;
  readonly accessLog: boolean;
  readonly before: boolean;
  readonly gw: RunningGateway;
  readonly url: string;
  readonly runs: LoadResult[];
  readonly fixed: FixedRateResult[];
}

function configs(upstreamPort: number): { none: object; plugins: object } {
  const none = benchConfig(upstreamPort, [{ id: 'bench', paths: ['/*'], upstream: 'bench' }]);
  const plugins = {
    ...benchConfig(upstreamPort, [
      {
        id: 'bench',
        paths: ['/*'],
        upstream: 'bench',
        // Limits far above what a run reaches: every request pays a decision, none is refused.
        plugins: { 'key-auth': {}, 'rate-limit': { key: ['consumer'], limits: [{ count: 1_000_000_000, windowMs: 1_000 }, { count: 1_000_000_000, windowMs: 3_600_000 }] } },
      },
    ]),
    consumers: [{ id: 'bench-client', plugins: { 'key-auth': { key: API_KEY } } }],
  };
  return { none, plugins };
}

/** Decisions by source (`redis`, `local`) from the gateway's /metrics. */
async function decisionsBySource(statusPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${statusPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^gatehouse_ratelimit_decisions_total\{source="([^"]+)",result="[^"]+"\} (\d+)/gm)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
}

export async function pluginsSection(ctx: BenchContext): Promise<SectionReport> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
  } catch (err) {
    throw new Error(`the plugins section needs Redis at ${REDIS_URL}: ${(err as Error).message}. Start redis-server or set REDIS_URL.`);
  }
  const prefix = `gatehouse-bench:${randomUUID().slice(0, 8)}:`;
  const nginx = await startNginx();
  const upstreamPort = nginx?.port ?? ctx.upstreamPort;
  const { none, plugins } = configs(upstreamPort);
  const targets: Target[] = [];
  const notes: string[] = [`upstream: ${nginx ? 'nginx answering 12 bytes' : 'the Node bench upstream (nginx not installed)'}; Redis ${REDIS_URL}; decision budget ${ctx.rateLimitBudgetMs === undefined ? 'as shipped (5 ms)' : `${ctx.rateLimitBudgetMs} ms (--budget-ms)`}`];
  const builds = [{ label: gatewayLabel(ctx), entry: undefined as string | undefined }, ...(ctx.beforeEntry ? [{ label: `before: ${gatewayLabel(ctx)}`, entry: ctx.beforeEntry }] : [])];
  try {
    for (const build of builds)
      for (const withPlugins of [false, true])
        for (const accessLog of [true, false]) {
          const env: Record<string, string> = { GATEHOUSE_ACCESS_LOG: String(accessLog) };
          if (withPlugins) Object.assign(env, { REDIS_URL, GATEHOUSE_REDIS_PREFIX: prefix });
          if (withPlugins && ctx.rateLimitBudgetMs !== undefined) env.GATEHOUSE_RATE_LIMIT_BUDGET_MS = String(ctx.rateLimitBudgetMs);
          const gw = await startGateway({ runtime: ctx.runtime, role: ctx.role, config: withPlugins ? plugins : none, env, entry: build.entry });
          const name = `${build.label}, ${withPlugins ? 'key-auth + rate-limit (Redis)' : 'no plugins'}, access log ${accessLog ? 'on (default)' : 'off'}`;
          targets.push({ name, plugins: withPlugins, accessLog, before: build.entry !== undefined, gw, url: `http://127.0.0.1:${gw.proxyPort}/bench`, runs: [], fixed: [] });
        }
    const auth = { 'x-api-key': API_KEY };
    for (let round = 1; round <= ctx.rounds; round++)
      for (const t of targets) {
        ctx.log(`plugins: peak round ${round}/${ctx.rounds}, ${t.name}`);
        t.runs.push(await measure(t.url, { ...ctx.load, headers: t.plugins ? auth : undefined }, t.gw.child.pid, round === 1));
      }
    const current = targets.filter((t) => !t.before);
    const rate = Math.round(Math.min(...current.map((t) => medianResult(t.runs).rps)) * LOAD_FRACTION);
    if (h2loadAvailable()) {
      for (let round = 1; round <= ctx.rounds; round++)
        for (const t of current) {
          ctx.log(`plugins: fixed rate ${rate}/s, round ${round}/${ctx.rounds}, ${t.name}`);
          t.fixed.push(await fixedRate(t.url, rate, ctx.load.durationS, Math.min(2, ctx.load.warmupS), t.plugins ? auth : {}, t.gw.child.pid));
        }
    } else notes.push('fixed-rate latency skipped: h2load is not installed (apt-get install nghttp2-client)');
    for (const t of current.filter((x) => x.plugins)) {
      const bySource = await decisionsBySource(t.gw.statusPort);
      notes.push(`${t.name}: decisions by source ${JSON.stringify(bySource)}`);
    }
  } finally {
    for (const t of targets) await t.gw.stop();
    await nginx?.stop();
    const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
    if (keys.length) await redis.del(...keys).catch(() => undefined);
    redis.disconnect();
  }

  const peak = (t: Target): LoadResult => medianResult(t.runs);
  const tables: Table[] = [
    {
      title: `at peak: ${ctx.load.tool}, ${ctx.load.connections} connections, ${ctx.load.durationS} s per run, median of ${ctx.rounds} interleaved round(s)`,
      headers: LOAD_HEADERS,
      rows: targets.map((t) => loadRow(t.name, peak(t))),
    },
  ];
  for (const before of [false, true])
    for (const accessLog of [true, false]) {
      const find = (p: boolean) => targets.find((t) => t.before === before && t.accessLog === accessLog && t.plugins === p);
      const [a, b] = [find(false), find(true)];
      if (!a || !b) continue;
      const cpu = peak(b).cpuUsPerRequest! / peak(a).cpuUsPerRequest!;
      const verdict = before ? '' : ` — target ≤ ${fmtRatio(TARGET_MAX_CPU_RATIO)} ${cpu <= TARGET_MAX_CPU_RATIO ? 'met' : 'MISSED'}`;
      notes.push(`${before ? 'before, ' : ''}access log ${accessLog ? 'on' : 'off'}: CPU per request, plugins / none ${fmtRatio(cpu)}${verdict}; throughput ${fmtRatio(peak(b).rps / peak(a).rps)}`);
    }
  const withFixed = targets.filter((t) => t.fixed.length);
  if (withFixed.length) {
    const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    const fixed = (t: Target) => ({ p50: median(t.fixed.map((f) => f.p50Ms)), p99: median(t.fixed.map((f) => f.p99Ms)), errors: t.fixed.reduce((s, f) => s + f.errors, 0), cpu: median(t.fixed.map((f) => f.cpuUsPerRequest ?? NaN)) });
    tables.push({
      title: `at a fixed rate: h2load --h1, ${withFixed[0]!.fixed[0]!.rate} req/s (${LOAD_FRACTION * 100}% of the lowest peak), ${ctx.load.durationS} s per run, median of ${ctx.rounds} round(s)`,
      headers: ['target', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors'],
      rows: withFixed.map((t) => {
        const f = fixed(t);
        return [t.name, fmtMs(f.p50), fmtMs(f.p99), f.cpu.toFixed(1), String(f.errors)];
      }),
    });
    for (const accessLog of [true, false]) {
      const a = withFixed.find((t) => t.accessLog === accessLog && !t.plugins);
      const b = withFixed.find((t) => t.accessLog === accessLog && t.plugins);
      if (!a || !b) continue;
      const added = fixed(b).p99 - fixed(a).p99;
      notes.push(`access log ${accessLog ? 'on' : 'off'}: p99 added by the plugins at 70% load ${added.toFixed(2)} ms — target ≤ ${TARGET_MAX_P99_ADDED_MS} ms ${added <= TARGET_MAX_P99_ADDED_MS ? 'met' : 'MISSED'}`);
    }
  }
  const mirror = measureLocalMirror();
  notes.push(`local mirror of admitted Redis decisions (two limits): ${mirror.nsPerDecision.toFixed(0)} ns per decision, in this process`);
  return { name: 'plugins', tables, notes };
}
