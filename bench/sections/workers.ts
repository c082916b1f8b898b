/**
 * Section "workers": the gateway with `GATEHOUSE_WORKERS` 1 and 2 (node:cluster workers sharing the
 * proxy port), one route, no plugins, access log on (the default) and off, in front of nginx's 12-byte
 * answer when installed. CPU per request counts the primary and its workers. What it tells: whether a
 * second worker buys throughput on this machine's cores (see docs/BENCHMARKS.md for sizing).
 */
import { medianResult, gatewayLabel, type BenchContext } from '../context';
import { treeCpuMs } from '../cpu';
import { oneRouteConfig, startGateway, type RunningGateway } from '../gateway';
import { measure, type LoadResult } from '../load';
import { startNginx } from '../nginx';
import { fmtRatio, LOAD_HEADERS, loadRow, type SectionReport } from '../report';

interface Target {
  readonly name: string;
  readonly workers: number;
  readonly accessLog: boolean;
  readonly gw: RunningGateway;
  readonly runs: LoadResult[];
}

async function measureTree(url: string, ctx: BenchContext, pid: number, warmUp: boolean): Promise<LoadResult> {
  if (warmUp && ctx.load.warmupS > 0) await measure(url, ctx.load);
  const before = treeCpuMs(pid);
  const result = await measure(url, { ...ctx.load, warmupS: 0 });
  const after = treeCpuMs(pid);
  return before === undefined || after === undefined || !result.requests ? result : { ...result, cpuUsPerRequest: ((after - before) * 1_000) / result.requests };
}

export async function workersSection(ctx: BenchContext): Promise<SectionReport> {
  const nginx = await startNginx();
  const port = nginx?.port ?? ctx.upstreamPort;
  const targets: Target[] = [];
  try {
    for (const workers of [1, 2])
      for (const accessLog of [true, false]) {
        const gw = await startGateway({ runtime: ctx.runtime, role: ctx.role, config: oneRouteConfig(port), env: { GATEHOUSE_WORKERS: String(workers), GATEHOUSE_ACCESS_LOG: String(accessLog) } });
        targets.push({ name: `${gatewayLabel(ctx)}, ${workers} worker${workers > 1 ? 's' : ''}, access log ${accessLog ? 'on (default)' : 'off'}`, workers, accessLog, gw, runs: [] });
      }
    for (let round = 1; round <= ctx.rounds; round++)
      for (const t of targets) {
        ctx.log(`workers: round ${round}/${ctx.rounds}, ${t.name}`);
        t.runs.push(await measureTree(`http://127.0.0.1:${t.gw.proxyPort}/`, ctx, t.gw.child.pid, round === 1));
      }
  } finally {
    for (const t of targets) await t.gw.stop();
    await nginx?.stop();
  }
  const notes: string[] = [`upstream: ${nginx ? 'nginx answering 12 bytes' : 'the Node bench upstream (nginx not installed)'}; the load generator and the upstream share the same cores`];
  for (const accessLog of [true, false]) {
    const [one, two] = [1, 2].map((w) => targets.find((t) => t.workers === w && t.accessLog === accessLog)!).map((t) => medianResult(t.runs));
    const cpu = one!.cpuUsPerRequest && two!.cpuUsPerRequest ? `, CPU per request ${fmtRatio(two!.cpuUsPerRequest / one!.cpuUsPerRequest)}` : '';
    notes.push(`access log ${accessLog ? 'on' : 'off'}: 2 workers / 1 worker: throughput ${fmtRatio(two!.rps / one!.rps)}, p99 ${fmtRatio(two!.p99Ms / one!.p99Ms)}${cpu}`);
  }
  const title = `${ctx.load.tool}, ${ctx.load.connections} connections, ${ctx.load.durationS} s per run, median of ${ctx.rounds} interleaved round(s)`;
  return { name: 'workers', tables: [{ title, headers: LOAD_HEADERS, rows: targets.map((t) => loadRow(t.name, medianResult(t.runs))) }], notes };
}
