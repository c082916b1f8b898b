/**
 * Section "h2": HTTP/2 throughput through the gateway (h2c in, h2c to the upstream) against the bare
 * node:http2 proxy of bench/h2-servers.ts, same upstream, same load generator (h2load, from
 * Debian's nghttp2-client); and gRPC unary calls per second through the gateway against direct
 * calls to the same grpc-js server (the client runs in the bench process, a fixed number of calls in
 * flight). Rounds are interleaved and medians reported; the ratios are what to read.
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { startBenchServer } from '../children';
import { gatewayLabel, type BenchContext } from '../context';
import { gatewayAvailable, startGateway } from '../gateway';
import { fmtRatio, fmtRps, type SectionReport } from '../report';

/** Streams in flight per h2load connection. */
const STREAMS_PER_CONNECTION = 10;
const H2LOAD_CONNECTIONS = 16;
/** gRPC calls kept in flight by the bench's client. */
const GRPC_IN_FLIGHT = 64;

function h2loadAvailable(): boolean {
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs h2load for `durationS` and returns requests/s and failures. */
function h2load(url: string, durationS: number): Promise<{ rps: number; failed: number }> {
  const args = ['-c', String(H2LOAD_CONNECTIONS), '-m', String(STREAMS_PER_CONNECTION), '-D', String(durationS), url];
  return new Promise((resolve, reject) =>
    execFile('h2load', args, { timeout: (durationS + 60) * 1_000 }, (err, stdout) => {
      if (err) return reject(new Error(`h2load failed: ${err.message}\n${stdout}`));
      const rps = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout)?.[1];
      const failed = /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/.exec(stdout)?.[1];
      if (rps === undefined) return reject(new Error(`could not read h2load's output:\n${stdout}`));
      resolve({ rps: Number(rps), failed: Number(failed ?? 0) });
    }),
  );
}

/** Unary calls per second to `address` with `GRPC_IN_FLIGHT` calls in flight. */
async function grpcRate(address: string, durationS: number): Promise<{ rps: number; errors: number }> {
  const def = protoLoader.loadSync(join(__dirname, '..', '..', 'test', 'fixtures', 'grpc', 'echo.proto'), { keepCase: true, defaults: true });
  const Echo = (grpc.loadPackageDefinition(def) as unknown as { gatehouse: { test: { Echo: grpc.ServiceClientConstructor } } }).gatehouse.test.Echo;
  const client = new Echo(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Unary(r: object, cb: (e: Error | null) => void): void };
  const end = Date.now() + durationS * 1_000;
  let done = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      await new Promise<void>((resolve) =>
        client.Unary({ text: 'bench' }, (e) => {
          if (e) errors++;
          else done++;
          resolve();
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: GRPC_IN_FLIGHT }, worker));
  client.close();
  return { rps: done / durationS, errors };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function h2Section(ctx: BenchContext): Promise<SectionReport> {
  if (!gatewayAvailable(ctx.runtime)) return { name: 'h2', tables: [], notes: ['skipped: the gateway is not available'] };
  const notes: string[] = [];
  const rows: string[][] = [];
  const upstream = await startBenchServer('h2-servers.ts', ['upstream']);
  const grpcUp = await startBenchServer('h2-servers.ts', ['grpc']);
  const bare = await startBenchServer('h2-servers.ts', ['proxy', String(upstream.port)]);
  const gw = await startGateway({
    runtime: ctx.runtime,
    role: ctx.role,
    config: {
      upstreams: [
        { id: 'h2', protocol: 'h2c', targets: [{ host: '127.0.0.1', port: upstream.port }] },
        { id: 'grpc', protocol: 'h2c', targets: [{ host: '127.0.0.1', port: grpcUp.port }] },
      ],
      routes: [
        { id: 'grpc', paths: ['/gatehouse.test.Echo/*'], upstream: 'grpc' },
        { id: 'h2', paths: ['/*'], upstream: 'h2' },
      ],
    },
  });
  try {
    const label = gatewayLabel(ctx);
    if (h2loadAvailable()) {
      const gwRuns: number[] = [];
      const bareRuns: number[] = [];
      let failed = 0;
      if (ctx.load.warmupS > 0) {
        await h2load(`http://127.0.0.1:${gw.proxyPort}/`, ctx.load.warmupS);
        await h2load(`http://127.0.0.1:${bare.port}/`, ctx.load.warmupS);
      }
      for (let round = 0; round < ctx.rounds; round++) {
        ctx.log(`h2: round ${round + 1}/${ctx.rounds}`);
        const g = await h2load(`http://127.0.0.1:${gw.proxyPort}/`, ctx.load.durationS);
        const b = await h2load(`http://127.0.0.1:${bare.port}/`, ctx.load.durationS);
        gwRuns.push(g.rps);
        bareRuns.push(b.rps);
        failed += g.failed + b.failed;
      }
      rows.push([`${label}, h2c → h2c`, fmtRps(median(gwRuns))], ['bare node:http2 proxy, h2c → h2c', fmtRps(median(bareRuns))]);
      notes.push(`h2 throughput, gateway / bare node:http2 proxy: ${fmtRatio(median(gwRuns) / median(bareRuns))} (h2load -c ${H2LOAD_CONNECTIONS} -m ${STREAMS_PER_CONNECTION}; ${failed} failed requests)`);
    } else {
      notes.push('h2load not installed (Debian: nghttp2-client): h2 throughput skipped');
    }
    const viaGw: number[] = [];
    const direct: number[] = [];
    let errors = 0;
    for (let round = 0; round < ctx.rounds; round++) {
      ctx.log(`h2: gRPC round ${round + 1}/${ctx.rounds}`);
      const g = await grpcRate(`127.0.0.1:${gw.proxyPort}`, ctx.load.durationS);
      const d = await grpcRate(`127.0.0.1:${grpcUp.port}`, ctx.load.durationS);
      viaGw.push(g.rps);
      direct.push(d.rps);
      errors += g.errors + d.errors;
    }
    rows.push([`${label}, gRPC unary`, fmtRps(median(viaGw))], ['direct to the grpc-js server, gRPC unary', fmtRps(median(direct))]);
    notes.push(`gRPC unary calls/s, through the gateway / direct: ${fmtRatio(median(viaGw) / median(direct))} (${GRPC_IN_FLIGHT} calls in flight, grpc-js client in the bench process; ${errors} errors)`);
  } finally {
    await gw.stop();
    await bare.child.stop();
    await grpcUp.child.stop();
    await upstream.child.stop();
  }
  return { name: 'h2', tables: [{ title: 'HTTP/2 and gRPC', headers: ['target', 'requests/s'], rows }], notes };
}
