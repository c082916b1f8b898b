/**
 * Section "tracing": the gateway with tracing off (the default) and on at 10 % sampling, exporting
 * over OTLP/HTTP to a local receiver that accepts and drops what arrives, next to the bare undici
 * proxy, all in front of the same upstream; rounds are interleaved across targets.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpStatus, startBenchServer } from '../children';
import { medianResult, type BenchContext } from '../context';
import { gatewayAvailable, oneRouteConfig, startGateway, GATEWAY_DIST_ENTRY, GATEWAY_SOURCE_ENTRY } from '../gateway';
import { measure, type LoadResult } from '../load';
import { LOAD_HEADERS, loadRow, ratioLine, type SectionReport } from '../report';

/** The sampling the issue asks to report. */
const SAMPLE_RATIO = 0.1;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly stop: () => Promise<void>;
  readonly runs: LoadResult[];
}

/** An OTLP/HTTP receiver that reads and drops every export, counting the bytes. */
async function startSink(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    received: () => bytes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function tracingSection(ctx: BenchContext): Promise<SectionReport> {
  if (!gatewayAvailable(ctx.runtime)) {
    return { name: 'tracing', tables: [], notes: [`gateway not available: ${ctx.runtime === 'dist' ? GATEWAY_DIST_ENTRY : GATEWAY_SOURCE_ENTRY} is missing`] };
  }
  const targets: Target[] = [];
  const sink = await startSink();
  try {
    const config = oneRouteConfig(ctx.upstreamPort);
    const off = await startGateway({ runtime: ctx.runtime, role: ctx.role, config });
    targets.push({ name: 'gateway, tracing off', url: `http://127.0.0.1:${off.proxyPort}/`, pid: off.child.pid, stop: off.stop, runs: [] });
    const on = await startGateway({
      runtime: ctx.runtime,
      role: ctx.role,
      config,
      env: { GATEHOUSE_TRACING: 'true', GATEHOUSE_TRACING_ENDPOINT: sink.url, GATEHOUSE_TRACING_SAMPLE_RATIO: String(SAMPLE_RATIO) },
    });
    targets.push({ name: `gateway, tracing ${SAMPLE_RATIO * 100} %`, url: `http://127.0.0.1:${on.proxyPort}/`, pid: on.child.pid, stop: on.stop, runs: [] });
    const bare = await startBenchServer('bare-proxy.ts', [String(ctx.upstreamPort)]);
    targets.push({ name: 'bare undici', url: `http://127.0.0.1:${bare.port}/`, pid: bare.child.pid, stop: () => bare.child.stop(), runs: [] });
    for (const t of targets) {
      const status = await httpStatus(t.url);
      if (status !== 200) throw new Error(`${t.name} answered ${String(status)} instead of 200 at ${t.url}`);
    }
    for (let round = 1; round <= ctx.rounds; round++) {
      for (const t of targets) {
        ctx.log(`tracing: round ${round}/${ctx.rounds}, ${t.name}`);
        t.runs.push(await measure(t.url, ctx.load, t.pid, round === 1));
      }
    }
  } finally {
    for (const t of targets) await t.stop();
    await sink.close();
  }
  const [off, on, bare] = targets.map((t) => (t.runs.length ? medianResult(t.runs) : undefined));
  const notes: string[] = [];
  if (off && bare) notes.push(ratioLine('tracing off / bare undici', off, bare, true));
  if (on && bare) notes.push(ratioLine(`tracing ${SAMPLE_RATIO * 100} % / bare undici`, on, bare, false));
  if (on && off) notes.push(ratioLine(`tracing ${SAMPLE_RATIO * 100} % / tracing off`, on, off, false));
  notes.push(`OTLP bytes received from the traced gateway: ${sink.received().toLocaleString('en-US')} (proves the export ran)`);
  const title = `${ctx.load.tool}, ${ctx.load.connections} connections, ${ctx.load.durationS} s per run, median of ${ctx.rounds} interleaved round(s)`;
  return { name: 'tracing', tables: [{ title, headers: LOAD_HEADERS, rows: targets.map((t, i) => loadRow(t.name, [off, on, bare][i])) }], notes };
}
