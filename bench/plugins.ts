/**
 * Plugins benchmark (`npm run bench -- --only plugins`): what key-auth plus Redis rate limiting (and the
 * always-on metrics) cost the gateway. Targets, each its own process in front of the same upstream:
 *   - gateway with key-auth + rate-limit on Redis,
 *   - the same plugins with the in-memory store (no REDIS_URL): what Redis itself adds,
 *   - the gateway with one plugin that does nothing (request-headers {}): the proxy's plugin path alone,
 *   - the same gateway without plugins,
 *   - a bare undici proxy (bench/bare-proxy.ts), the floor.
 * First each at peak (fixed connections), then both gateways at the same fixed rate, 70% of the
 * lower of their two peaks (so neither is saturated), to measure the p99 the plugins add.
 * Runs are interleaved over rounds and medians reported, because the machines are shared and noisy.
 * The decision budget is raised to 50 ms here (`GATEHOUSE_RATE_LIMIT_BUDGET_MS`), so that decisions are
 * Redis decisions even on a loaded machine; the count of EVALSHA calls in Redis shows it.
 * Needs Redis (REDIS_URL, default redis://127.0.0.1:6379).
 * It takes the bench's --duration, --warmup, --connections and --rounds.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startGateway as startGatewayProcess } from '../support/gateway-process';
import { REPO_ROOT, startBenchServer } from './children';
import type { BenchContext } from './context';
import { reportFromMarkdown, type SectionReport } from './report';

const AUTOCANNON = join(REPO_ROOT, 'node_modules', 'autocannon', 'autocannon.js');
const API_KEY = 'bench-key-0123456789abcdef';
const LOAD_FRACTION = 0.7;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BENCH_BUDGET_MS = 50;
const CLOCK_TICKS_PER_S = 100;

interface Load {
  /** CPU time the measured server process spent per request, microseconds (robust on a shared machine). */
  cpuUs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
}

interface Run {
  connections: number;
  durationS: number;
  rate?: number;
  headers?: Record<string, string>;
}

/** One autocannon run in its own process (so it never shares an event loop with a measured server). */
function autocannon(url: string, run: Run): Promise<Load> {
  const args = [AUTOCANNON, '-j', '-c', String(run.connections), '-d', String(run.durationS)];
  if (run.rate) args.push('-R', String(run.rate));
  for (const [k, v] of Object.entries(run.headers ?? {})) args.push('-H', `${k}=${v}`);
  args.push(url);
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024, timeout: (run.durationS + 60) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`autocannon failed: ${err.message}\n${stderr}`));
      const j = JSON.parse(stdout) as { requests: { total: number }; latency: { p50: number; p99: number }; duration: number; errors: number; timeouts: number; non2xx: number };
      resolve({ cpuUs: 0, rps: j.requests.total / j.duration, p50Ms: j.latency.p50, p99Ms: j.latency.p99, requests: j.requests.total, errors: j.errors + j.timeouts + j.non2xx });
    }),
  );
}

/** User + system CPU time of a process so far, milliseconds (Linux /proc). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

async function measure(url: string, run: Run, warmupS: number, pid: number): Promise<Load> {
  if (warmupS > 0) await autocannon(url, { ...run, durationS: warmupS });
  const before = cpuMs(pid);
  const load = await autocannon(url, run);
  return { ...load, cpuUs: load.requests ? ((cpuMs(pid) - before) * 1000) / load.requests : 0 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of each figure over the rounds; errors are summed. */
function medianLoad(runs: Load[]): Load {
  return {
    cpuUs: median(runs.map((r) => r.cpuUs)),
    rps: median(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

interface Gateway {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A file-driven data plane (`node --import tsx gateway/src/main.ts`), ready when /readyz answers 200. */
async function startGateway(config: object, env: Record<string, string>): Promise<Gateway> {
  const gw = await startGatewayProcess({ config, env: { NODE_ENV: 'production', ...env } });
  return { url: `${gw.origin}/bench`, pid: gw.child.pid, stop: gw.stop };
}

/** Redis server CPU (user + sys) so far, milliseconds. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}

async function evalshaCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return calls('evalsha') + calls('eval');
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const row = (name: string, l: Load) => `| ${name} | ${fmt(l.rps)} | ${fmt(l.p50Ms, 1)} | ${fmt(l.p99Ms, 1)} | ${fmt(l.cpuUs, 1)} | ${l.errors} |`;

/** The plugins section (`npm run bench -- --only plugins`): peak and fixed-rate runs, as markdown tables and notes. */
export async function pluginsSection(ctx: BenchContext): Promise<SectionReport> {
  const { durationS, warmupS, connections } = ctx.load;
  const rounds = ctx.rounds;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
  } catch (err) {
    throw new Error(`the plugins bench needs Redis at ${REDIS_URL}: ${(err as Error).message}. Start redis-server or set REDIS_URL.`);
  }
  const prefix = `gatehouse-bench:${randomUUID().slice(0, 8)}:`;
  const stops: (() => Promise<void>)[] = [];
  const log = (m: string) => ctx.log(`plugins: ${m}`);
  try {
    const upstream = await startBenchServer('upstream.ts');
    stops.push(() => upstream.child.stop());
    const bare = await startBenchServer('bare-proxy.ts', [String(upstream.port)]);
    stops.push(() => bare.child.stop());
    const upstreams = [{ id: 'bench', targets: [{ host: '127.0.0.1', port: upstream.port }] }];
    const plain = await startGateway({ upstreams, routes: [{ id: 'bench', paths: ['/*'], upstream: 'bench' }] }, {});
    stops.push(plain.stop);
    const pluginConfig = {
      upstreams,
      consumers: [{ id: 'bench-client', plugins: { 'key-auth': { key: API_KEY } } }],
      routes: [
        {
          id: 'bench',
          paths: ['/*'],
          upstream: 'bench',
          // Limits far above what the run can reach: every request pays the decision, none is refused.
          plugins: { 'key-auth': {}, 'rate-limit': { key: ['consumer'], limits: [{ count: 1_000_000_000, windowMs: 1_000 }, { count: 1_000_000_000, windowMs: 3_600_000 }] } },
        },
      ],
    };
    const withPlugins = await startGateway(pluginConfig, {
      REDIS_URL,
      GATEHOUSE_REDIS_PREFIX: prefix,
      GATEHOUSE_RATE_LIMIT_BUDGET_MS: String(BENCH_BUDGET_MS),
    });
    stops.push(withPlugins.stop);
    const inMemory = await startGateway(pluginConfig, {});
    stops.push(inMemory.stop);
    const noop = await startGateway({ upstreams, routes: [{ id: 'bench', paths: ['/*'], upstream: 'bench', plugins: { 'request-headers': {} } }] }, {});
    stops.push(noop.stop);
    const auth = { 'x-api-key': API_KEY };

    log(`peak: ${rounds} interleaved round(s) of ${durationS} s after ${warmupS} s warm-up, ${connections} connections`);
    const peak: Record<'bare' | 'plain' | 'plugins' | 'memory' | 'noop', Load[]> = { bare: [], plain: [], plugins: [], memory: [], noop: [] };
    let pluginCalls = 0;
    const redisUsPerRequest: number[] = [];
    for (let round = 0; round < rounds; round++) {
      peak.bare.push(await measure(`http://127.0.0.1:${bare.port}/bench`, { connections, durationS }, warmupS, bare.child.pid));
      peak.plain.push(await measure(plain.url, { connections, durationS }, warmupS, plain.pid));
      const before = await evalshaCalls(redis);
      const redisCpuBefore = await redisCpuMs(redis);
      const run = await measure(withPlugins.url, { connections, durationS, headers: auth }, warmupS, withPlugins.pid);
      peak.plugins.push(run);
      redisUsPerRequest.push((((await redisCpuMs(redis)) - redisCpuBefore) * 1000) / (run.requests * (1 + warmupS / durationS)));
      pluginCalls += (await evalshaCalls(redis)) - before;
      peak.memory.push(await measure(inMemory.url, { connections, durationS, headers: auth }, warmupS, inMemory.pid));
      peak.noop.push(await measure(noop.url, { connections, durationS }, warmupS, noop.pid));
    }
    const peakBare = medianLoad(peak.bare);
    const peakPlain = medianLoad(peak.plain);
    const peakPlugins = medianLoad(peak.plugins);
    const peakMemory = medianLoad(peak.memory);
    const peakNoop = medianLoad(peak.noop);

    const rate = Math.round(Math.min(peakPlain.rps, peakPlugins.rps) * LOAD_FRACTION);
    const rateConnections = Math.min(connections, 32);
    log(`fixed rate ${rate} req/s (${LOAD_FRACTION * 100}% of the lower gateway peak)`);
    const fixed: Record<'plain' | 'plugins', Load[]> = { plain: [], plugins: [] };
    for (let round = 0; round < rounds; round++) {
      fixed.plain.push(await measure(plain.url, { connections: rateConnections, durationS, rate }, warmupS, plain.pid));
      fixed.plugins.push(await measure(withPlugins.url, { connections: rateConnections, durationS, rate, headers: auth }, warmupS, withPlugins.pid));
    }
    const ratePlain = medianLoad(fixed.plain);
    const ratePlugins = medianLoad(fixed.plugins);

    const pluginRequests = peakPlugins.requests * (1 + warmupS / durationS);
    const perRound = (loads: Load[]) => loads.map((l) => fmt(l.rps)).join(' / ');
    const lines = [
      `Machine: ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, node ${process.version}; load average at the end ${loadavg().map((n) => n.toFixed(2)).join(', ')}.`,
      `Load: autocannon, ${connections} connections (${rateConnections} at fixed rate), ${durationS} s after a ${warmupS} s warm-up, median of ${rounds} interleaved round(s); Redis ${REDIS_URL}; decision budget ${BENCH_BUDGET_MS} ms.`,
      '',
      '| at peak | req/s | p50 ms | p99 ms | server CPU µs/req | errors |',
      '| --- | --- | --- | --- | --- | --- |',
      row('bare undici proxy', peakBare),
      row('gateway, no plugins', peakPlain),
      row('gateway, key-auth + rate-limit (Redis) + metrics', peakPlugins),
      row('gateway, key-auth + rate-limit (in-memory store)', peakMemory),
      row('gateway, one no-op plugin (request-headers {})', peakNoop),
      '',
      `- throughput, plugins / no plugins: ${fmt((peakPlugins.rps / peakPlain.rps) * 100, 1)}% (cost ${fmt((1 - peakPlugins.rps / peakPlain.rps) * 100, 1)}%; target: at most 20%)`,
      `- gateway CPU per request, plugins / no plugins: ${fmt((peakPlugins.cpuUs / peakPlain.cpuUs) * 100, 1)}%, i.e. a CPU-bound node serves ${fmt((1 - peakPlain.cpuUs / peakPlugins.cpuUs) * 100, 1)}% fewer requests with the plugins (in-memory store: ${fmt((1 - peakPlain.cpuUs / peakMemory.cpuUs) * 100, 1)}%)`,
      `- gateway CPU per request added by: the proxy's plugin path alone (no-op plugin) ${fmt(peakNoop.cpuUs - peakPlain.cpuUs, 1)} µs; key-auth + rate-limit in memory ${fmt(peakMemory.cpuUs - peakNoop.cpuUs, 1)} µs more; Redis instead of memory ${fmt(peakPlugins.cpuUs - peakMemory.cpuUs, 1)} µs more`,
      `- Redis server CPU per decision: ${fmt(median(redisUsPerRequest), 1)} µs (ElastiCache carries this in production)`,
      `- throughput, plugins on the in-memory store / no plugins: ${fmt((peakMemory.rps / peakPlain.rps) * 100, 1)}% (what the plugin path costs without Redis)`,
      `- throughput, plugins / bare undici: ${fmt((peakPlugins.rps / peakBare.rps) * 100, 1)}%; no plugins / bare undici: ${fmt((peakPlain.rps / peakBare.rps) * 100, 1)}%`,
      `- Redis decisions (EVALSHA) during the plugin peak runs incl. warm-ups: ${pluginCalls} for about ${fmt(pluginRequests)} requests (warm-ups estimated)`,
      `- req/s per round: bare ${perRound(peak.bare)}; no plugins ${perRound(peak.plain)}; plugins ${perRound(peak.plugins)}; in-memory ${perRound(peak.memory)}; no-op ${perRound(peak.noop)}`,
      '',
      `| at ${rate} req/s (70% of the lower peak) | req/s | p50 ms | p99 ms | server CPU µs/req | errors |`,
      '| --- | --- | --- | --- | --- | --- |',
      row('gateway, no plugins', ratePlain),
      row('gateway, key-auth + rate-limit (Redis) + metrics', ratePlugins),
      '',
      `- p99 added by the plugins at 70% load: ${fmt(ratePlugins.p99Ms - ratePlain.p99Ms, 2)} ms (target: at most 1 ms)`,
    ];
    return reportFromMarkdown('plugins', lines);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
    if (keys.length) await redis.del(...keys).catch(() => undefined);
    redis.disconnect();
  }
}
