/**
 * The shipped Grafana dashboard (docs/grafana/gatehouse.json) against what a real gateway exports:
 * every PromQL expression parses (the Prometheus project's own lezer grammar, not a regex), and every
 * metric and label it names is on a live gateway's `/metrics` after real traffic: requests, a
 * rate-limited route, and config sync from a last-known-good file (one good, one corrupt).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { Registry } from 'prom-client';
import { configChecksum } from '../../../../gateway/src/core/checksum';
import { GatewayMetrics } from '../../../../gateway/src/data-plane';
import { createPluginRegistry, createPluginServices } from '../../../../gateway/src/plugins';
import { ConfigSync, writeLastKnownGood } from '../../../../gateway/src/sync';
import type { ConfigVersion } from '../../../../gateway/src/store/types';
import { RecordingSink } from '../../../helpers/control-plane/recording-sink';
import { oneRoute, send, startGateway, startUpstream, type Gateway, type Upstream } from '../../data-plane/proxy/harness';

const DASHBOARD = join(__dirname, '..', '..', '..', '..', 'docs', 'grafana', 'gatehouse.json');
/** Labels Prometheus adds to every scraped series (target labels), not the gateway. */
const TARGET_LABELS = new Set(['job', 'instance']);
/** Grafana's variables, replaced by what Grafana would put there before the query reaches Prometheus. */
const GRAFANA_VARIABLES: [RegExp, string][] = [
  [/\$__rate_interval/g, '1m'],
  [/\$job/g, '.+'],
];

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { query?: unknown; type: string }[] };
}

/** Metric names and label names an expression uses, or the text of its first syntax error. */
function namesIn(expr: string): { metrics: string[]; labels: string[]; error?: string } {
  const tree = parser.parse(expr);
  const metrics: string[] = [];
  const labels: string[] = [];
  let error: string | undefined;
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) error ??= `syntax error at ${node.from}: "${expr.slice(node.from, node.to + 10)}"`;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.push(expr.slice(node.from, node.to));
      if (node.name === 'LabelName') labels.push(expr.slice(node.from, node.to));
    },
  });
  return { metrics, labels, error };
}

/** The exported metric names (with `_bucket`, `_sum`, `_count` of histograms) and the label names each sample carries. */
function exported(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type && !out.has(type[1]!)) out.set(type[1]!, new Set());
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const labels = out.get(sample[1]!) ?? new Set<string>();
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(m[1]!);
    out.set(sample[1]!, labels);
  }
  return out;
}

describe('Grafana dashboard', () => {
  let upstream: Upstream;
  let gw: Gateway;
  let dir: string;
  const registry = new Registry();
  const syncs: ConfigSync[] = [];
  let services: ReturnType<typeof createPluginServices>;
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const expressions = [
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: p.title, expr: t.expr }))),
    // A template variable's `label_values(<selector>, <label>)` holds a selector.
    ...dashboard.templating.list
      .filter((v) => v.type === 'query')
      .map((v) => ({ where: 'template variable', expr: /^label_values\((.+),\s*\w+\)$/.exec(String(v.query))![1]! })),
  ].map((e) => ({ ...e, expr: GRAFANA_VARIABLES.reduce((text, [re, value]) => text.replace(re, value), e.expr) }));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-grafana-'));
    upstream = await startUpstream();
    services = createPluginServices({ redisCluster: false, redisKeyPrefix: 'gatehouse:', rateLimitBudgetMs: 5, rateLimitNodeCount: 1 }, undefined, registry);
    let dp: Gateway | undefined;
    const metrics = new GatewayMetrics({ registry, snapshot: () => dp?.dataPlane.snapshot, processMetrics: false });
    const doc = {
      upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: upstream.port }] }],
      routes: [
        { id: 'open', paths: ['/open/*'], upstream: 'u' },
        { id: 'limited', paths: ['/limited/*'], upstream: 'u', plugins: { 'rate-limit': { limits: [{ count: 1, windowMs: 60_000 }] } } },
      ],
    };
    gw = dp = await startGateway(doc, { plugins: createPluginRegistry(services), metrics });
    for (const path of ['/open/a', '/open/b', '/limited/a', '/limited/b', '/nowhere']) await send(`${gw.origin}${path}`, { method: 'POST', body: 'x' });

    // Config sync on the same registry: one start from a good last-known-good file, one from a corrupt one.
    const version = (n: number, checksum?: string): ConfigVersion => {
      const document = oneRoute([upstream.port]) as ConfigVersion['document'];
      return { version: n, checksum: checksum ?? configChecksum(document), author: 't', message: '', intendedDrop: false, routeCount: 1, createdAt: new Date().toISOString(), document };
    };
    await writeLastKnownGood(join(dir, 'good.json'), version(3));
    await writeLastKnownGood(join(dir, 'bad.json'), version(4, 'sha256:0000'));
    for (const file of ['good.json', 'bad.json']) {
      const sync = new ConfigSync({ sink: new RecordingSink(), lastKnownGoodFile: join(dir, file), pollIntervalMs: 60_000, startWithoutConfig: true, dropGuardPercent: 50, registry });
      syncs.push(sync);
      await sync.start();
    }
  });
  afterAll(async () => {
    for (const s of syncs) await s.stop();
    await gw.close();
    await services.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('has panels with queries', () => {
    expect(dashboard.panels.length).toBeGreaterThan(8);
    expect(expressions.length).toBeGreaterThan(10);
  });

  it('every query parses as PromQL', () => {
    const errors = expressions.map((e) => ({ ...e, error: namesIn(e.expr).error })).filter((e) => e.error);
    expect(errors).toEqual([]);
    // The parser does flag broken PromQL.
    expect(namesIn('sum by (route (rate(x[1m]))').error).toBeDefined();
  });

  it('every metric and label a query names is exported by a running gateway', async () => {
    const scrape = exported(await registry.metrics());
    const problems: string[] = [];
    for (const { where, expr } of expressions) {
      const { metrics, labels } = namesIn(expr);
      expect(metrics.length).toBeGreaterThan(0);
      for (const m of metrics) if (!scrape.has(m)) problems.push(`${where}: metric ${m} is not exported`);
      const known = new Set(metrics.flatMap((m) => [...(scrape.get(m) ?? [])]));
      for (const l of labels) if (!known.has(l) && !TARGET_LABELS.has(l)) problems.push(`${where}: label ${l} is not on ${metrics.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('the check catches a metric or label the gateway does not export', async () => {
    const scrape = exported(await registry.metrics());
    expect(scrape.has('gatehouse_requests_total')).toBe(true);
    expect(scrape.has('gatehouse_request_total')).toBe(false);
    expect(scrape.get('gatehouse_requests_total')!.has('status')).toBe(false);
  });
});
