/**
 * `npm run bench`: the data-plane benchmark. Sections:
 * - proxy: gateway (one route, no plugins) vs a bare undici proxy vs nginx, same upstream, same load;
 * - routes: a 10,000-route table vs one route, and the table's validate/compile time;
 * - stream: peak RSS of the proxy while 1 GiB streams up and down through it;
 * - h2: HTTP/2 throughput vs a bare node:http2 proxy (h2load), gRPC unary calls via the gateway vs direct.
 * Options: `npm run bench -- --help`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchServer } from './children';
import type { BenchContext } from './context';
import { ensureBuilt, gatewayAvailable, type GatewayRole, type GatewayRuntime } from './gateway';
import { defaultTool, type LoadTool } from './load';
import { printReport, type SectionReport } from './report';
import { proxySection } from './sections/proxy';
import { routesSection } from './sections/routes';
import { streamSection } from './sections/stream';
import { h2Section } from './sections/h2';

const SECTIONS = { proxy: proxySection, routes: routesSection, stream: streamSection, h2: h2Section } as const;
type SectionName = keyof typeof SECTIONS;

const DEFAULTS = { connections: 64, durationS: 6, warmupS: 5, rounds: 3, streamMiB: 1024 } as const;

const HELP = `Usage: npm run bench -- [options]
  --only <list>        sections to run, comma-separated: ${Object.keys(SECTIONS).join(',')} (default: all)
  --connections <n>    concurrent connections of the load generator (default ${DEFAULTS.connections})
  --duration <s>       measured seconds per run (default ${DEFAULTS.durationS})
  --warmup <s>         warm-up seconds of each target before its first measured run (default ${DEFAULTS.warmupS})
  --rounds <n>         measured runs per target, interleaved; medians are reported (default ${DEFAULTS.rounds})
  --tool <wrk|autocannon>  load generator (default: wrk when installed, else autocannon)
  --runtime <dist|tsx> run the compiled gateway (dist/, rebuilt first when older than gateway/src; what
                       the container runs) or the TypeScript sources through tsx (default dist)
  --role <data-plane|standalone>  gateway role: the proxy alone reading the config file, or with the
                       admin API and embedded PGlite store in the same process (default data-plane)
  --stream-mib <n>     MiB streamed each way in the stream section (default ${DEFAULTS.streamMiB})
  --profile            run the gateway with --cpu-prof in the proxy section and print its top self-time functions
`;

function positiveInt(name: string, raw: string | undefined, def: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || (n === 0 && name !== 'warmup')) throw new Error(`--${name} must be a whole number${name === 'warmup' ? '' : ' above 0'}, got "${raw}"`);
  return n;
}

function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown cpu';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux
  }
  return `${model}, ${cpus().length} cores, node ${process.version}`;
}

const loadAverage = (): string => loadavg().map((n) => n.toFixed(2)).join(', ');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      tool: { type: 'string' },
      runtime: { type: 'string' },
      role: { type: 'string' },
      'stream-mib': { type: 'string' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const only = (values.only ?? Object.keys(SECTIONS).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((s) => !(s in SECTIONS));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; use one of ${Object.keys(SECTIONS).join(', ')}`);
  const tool = (values.tool ?? defaultTool()) as LoadTool;
  if (tool !== 'wrk' && tool !== 'autocannon') throw new Error(`--tool must be wrk or autocannon, got "${String(values.tool)}"`);
  const runtime = (values.runtime ?? 'dist') as GatewayRuntime;
  if (runtime !== 'tsx' && runtime !== 'dist') throw new Error(`--runtime must be tsx or dist, got "${String(values.runtime)}"`);
  const role = (values.role ?? 'data-plane') as GatewayRole;
  if (role !== 'data-plane' && role !== 'standalone') throw new Error(`--role must be data-plane or standalone, got "${String(values.role)}"`);

  const log = (message: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  if (runtime === 'dist' && gatewayAvailable('tsx')) ensureBuilt(log);
  const upstream = await startBenchServer('upstream.ts');
  const ctx: BenchContext = {
    upstreamPort: upstream.port,
    load: {
      tool,
      connections: positiveInt('connections', values.connections, DEFAULTS.connections),
      durationS: positiveInt('duration', values.duration, DEFAULTS.durationS),
      warmupS: positiveInt('warmup', values.warmup, DEFAULTS.warmupS),
    },
    rounds: positiveInt('rounds', values.rounds, DEFAULTS.rounds),
    runtime,
    role,
    profileDir: values.profile ? mkdtempSync(join(tmpdir(), 'gatehouse-bench-prof-')) : undefined,
    streamBytes: positiveInt('stream-mib', values['stream-mib'], DEFAULTS.streamMiB) * 1024 * 1024,
    log,
  };
  const header = [`Date: ${new Date().toISOString()}`, `Machine: ${machine()}`, `Load average at start: ${loadAverage()}`];
  const reports: SectionReport[] = [];
  try {
    for (const name of only as SectionName[]) {
      ctx.log(`section ${name}`);
      reports.push(await SECTIONS[name](ctx));
    }
  } finally {
    await upstream.child.stop();
  }
  header.push(`Load average at end: ${loadAverage()}`, `Load generator: ${tool}`);
  printReport(header, reports);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
