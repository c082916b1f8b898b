/**
 * `npm run bench`: the one bench entry. It parses the command line once (commander), starts the
 * shared upstream, and runs the sections asked for (`--only`), each given the same `BenchContext`.
 * Sections run by default: proxy (gateway vs bare undici vs nginx), routes (a 10,000-route table vs one
 * route, and its validate/compile time), stream (RSS while 1 GiB streams through), h2 (HTTP/2 vs a bare
 * node:http2 proxy with h2load, gRPC unary via the gateway vs direct). On request only
 * (they need Redis or PostgreSQL and take minutes): plugins (key-auth + rate-limit cost, at peak and at a
 * fixed rate with h2load), workers (GATEHOUSE_WORKERS 1 vs 2), propagation (config propagation from the
 * control plane to three data planes). Options: `npm run bench -- --help`.
 *
 * Adding a section (the interface is meant to stay as it is):
 * 1. a file `bench/sections/<name>.ts` exporting `async function <name>Section(ctx: BenchContext): Promise<SectionReport>`;
 *    it reads everything it needs from `ctx` (load settings, runtime, role, its own flags in
 *    `ctx.options`) and never reads `process.argv`; start the gateway with `startGateway` from `./gateway`;
 * 2. one line in `SECTIONS` below (and in `DEFAULT_SECTIONS` when it should run by default);
 * 3. any flag only it reads: one `.option()` line on the command below; its value arrives in
 *    `ctx.options` under commander's camelCase name (`--poll-ms` -> `ctx.options.pollMs`), as a string.
 * The bench's child programs (upstream.ts, bare-proxy.ts, compile-time.ts) are not entries: they take
 * positional arguments from the section that spawns them.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { startBenchServer } from './children';
import type { BenchContext, BenchSection } from './context';
import { ensureBuilt, gatewayAvailable, type GatewayRole, type GatewayRuntime } from './gateway';
import { defaultTool, type LoadTool } from './load';
import { printReport, type SectionReport } from './report';
import { pluginsSection } from './sections/plugins';
import { workersSection } from './sections/workers';
import { propagationSection } from './propagation';
import { proxySection } from './sections/proxy';
import { routesSection } from './sections/routes';
import { streamSection } from './sections/stream';
import { configScaleSection, DEFAULT_CONFIG_SIZES, DEFAULT_CONFIG_WRITES } from './sections/config-scale';
import { tracingSection } from './sections/tracing';
import { h2Section } from './sections/h2';

const SECTIONS: Readonly<Record<string, BenchSection>> = {
  proxy: proxySection,
  routes: routesSection,
  stream: streamSection,
  plugins: pluginsSection,
  workers: workersSection,
  propagation: propagationSection,
  'config-scale': configScaleSection,
  tracing: tracingSection,
  h2: h2Section,
};
/** What `npm run bench` runs without `--only`. */
const DEFAULT_SECTIONS = ['proxy', 'routes', 'stream', 'h2'];

const DEFAULTS = { connections: 64, durationS: 6, warmupS: 5, rounds: 3, streamMiB: 1024 } as const;

/** A commander parser for a whole number (`min` 0 for warm-up, else 1). */
const wholeNumber =
  (min: number) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number${min ? ' above 0' : ''}, got "${raw}"`);
    return n;
  };

/** The bench's one command line. */
function command(): Command {
  return new Command('npm run bench --')
    .description('Gatehouse benchmarks: each section measures the gateway against baselines in the same run and reports ratios.')
    .option('--only <list>', `sections to run, comma-separated: ${Object.keys(SECTIONS).join(',')}`, DEFAULT_SECTIONS.join(','))
    .option('--connections <n>', 'concurrent connections of the load generator', wholeNumber(1), DEFAULTS.connections)
    .option('--duration <s>', 'measured seconds per run', wholeNumber(1), DEFAULTS.durationS)
    .option('--warmup <s>', 'warm-up seconds of each target before its first measured run', wholeNumber(0), DEFAULTS.warmupS)
    .option('--rounds <n>', 'measured runs per target, interleaved; medians are reported', wholeNumber(1), DEFAULTS.rounds)
    .addOption(new Option('--tool <tool>', 'load generator (default: wrk when installed, else autocannon)').choices(['wrk', 'autocannon']))
    .addOption(
      new Option('--runtime <runtime>', 'the compiled gateway (dist/, rebuilt first when older than gateway/src; what the container runs) or the sources through tsx')
        .choices(['dist', 'tsx'])
        .default('dist'),
    )
    .addOption(
      new Option('--role <role>', 'the proxy alone reading the config file, or with the admin API and embedded PGlite store in the same process')
        .choices(['data-plane', 'standalone'])
        .default('data-plane'),
    )
    .option('--stream-mib <n>', 'MiB streamed each way in the stream section', wholeNumber(1), DEFAULTS.streamMiB)
    .option('--profile', 'run the gateway with --cpu-prof in the proxy section and print its top self-time functions', false)
    .option('--before <dir>', 'proxy, plugins: also measure the gateway built in another checkout (its dist/, `npm run build` there) as "before", in the same run')
    .option(
      '--budget-ms <n>',
      'plugins: rate-limit decision budget (default: the shipped 5 ms; on a loaded machine Redis misses it and decisions go local: raise it to measure the Redis path)',
      wholeNumber(1),
    )
    // Section flags (ctx.options).
    .option('--writes <n>', 'propagation: admin writes measured with push on', '100')
    .option('--poll-writes <n>', 'propagation: admin writes measured with the poll alone', '100')
    .option('--poll-ms <ms>', 'propagation: the poll interval of the poll-only run', '1000')
    .option('--config-routes <list>', 'config-scale: route counts, comma-separated', DEFAULT_CONFIG_SIZES.join(','))
    .option('--config-writes <n>', 'config-scale: single-route writes per size, one per second', String(DEFAULT_CONFIG_WRITES))
    .option('--config-modes <list>', 'config-scale: sync modes run side by side (incremental alone leaves it the cores the full-fetch baseline would take)', 'incremental,full');
}

/** The run-wide options every section reads through its context; the rest are section flags. */
const CONTEXT_OPTIONS = new Set(['only', 'connections', 'duration', 'warmup', 'rounds', 'tool', 'runtime', 'role', 'streamMib', 'profile', 'before', 'budgetMs']);

function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown cpu';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux
  }
  return `${model}, ${cpus().length} cores, node ${process.version}`;
}

/** The compiled entry of the checkout given to `--before`. */
function beforeEntry(dir: string): string {
  const entry = join(dir, 'dist', 'gateway', 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`--before ${dir}: ${entry} is missing; run \`npm run build\` in that checkout first`);
  return entry;
}

const loadAverage = (): string => loadavg().map((n) => n.toFixed(2)).join(', ');

async function main(): Promise<void> {
  const values = command().parse(process.argv).opts<Record<string, string | number | boolean | undefined>>();
  const only = String(values.only).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((s) => !(s in SECTIONS));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; use one of ${Object.keys(SECTIONS).join(', ')}`);
  const tool = (values.tool ?? defaultTool()) as LoadTool;
  const runtime = values.runtime as GatewayRuntime;
  const role = values.role as GatewayRole;
  const options = Object.fromEntries(Object.entries(values).filter(([k]) => !CONTEXT_OPTIONS.has(k)).map(([k, v]) => [k, String(v)]));

  const log = (message: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  if (runtime === 'dist' && gatewayAvailable('tsx')) ensureBuilt(log);
  const upstream = await startBenchServer('upstream.ts');
  const ctx: BenchContext = {
    upstreamPort: upstream.port,
    load: {
      tool,
      connections: values.connections as number,
      durationS: values.duration as number,
      warmupS: values.warmup as number,
    },
    rounds: values.rounds as number,
    runtime,
    role,
    profileDir: values.profile ? mkdtempSync(join(tmpdir(), 'gatehouse-bench-prof-')) : undefined,
    streamBytes: (values.streamMib as number) * 1024 * 1024,
    beforeEntry: values.before === undefined ? undefined : beforeEntry(String(values.before)),
    rateLimitBudgetMs: values.budgetMs as number | undefined,
    options,
    log,
  };
  const header = [`Date: ${new Date().toISOString()}`, `Machine: ${machine()}`, `Load average at start: ${loadAverage()}`];
  const reports: SectionReport[] = [];
  try {
    for (const name of only) {
      ctx.log(`section ${name}`);
      reports.push(await SECTIONS[name]!(ctx));
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
