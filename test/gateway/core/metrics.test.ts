/**
 * The metrics convention (core/metrics.ts): plain counters and histograms read at scrape time export
 * exactly what prom-client's own metrics would, aggregate over cluster workers, are declared once per
 * registry, and a whole node (with the rate-limit plugin's services) puts nothing on prom-client's
 * global registry.
 */
import pino from 'pino';
import { AggregatorRegistry, Counter, Histogram, register, Registry } from 'prom-client';
import { declareMetrics, PlainCounter, PlainHistogram } from '../../../gateway/src/core/metrics';
import { createPluginRegistry, createPluginServices } from '../../../gateway/src/plugins';
import { buildDataPlaneNode } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED = [0.0005, 0.001, 0.002, 0.05, 0.05, 0.5, 3, 30];

/** The same observations through prom-client's own metrics, on a registry of their own. */
async function promClientText(): Promise<string> {
  const registry = new Registry();
  const requests = new Counter({ name: 'm_requests_total', help: 'requests', labelNames: ['route', 'status_class'], registers: [registry] });
  const latency = new Histogram({ name: 'm_latency_seconds', help: 'latency', labelNames: ['route'], buckets: BUCKETS, registers: [registry] });
  const held = new Counter({ name: 'm_held_total', help: 'held', registers: [registry] });
  requests.labels('a', '2xx').inc(3);
  requests.labels('', '4xx').inc();
  for (const v of OBSERVED) latency.labels('a').observe(v);
  latency.labels('b').observe(0.01);
  held.inc(0);
  return registry.metrics();
}

function plainRegistry(): { registry: Registry; record(): void } {
  const registry = new Registry();
  const requests = new PlainCounter(registry, { name: 'm_requests_total', help: 'requests', labelNames: ['route', 'status_class'] });
  const latency = new PlainHistogram(registry, { name: 'm_latency_seconds', help: 'latency', labelNames: ['route'], buckets: BUCKETS });
  const held = new PlainCounter(registry, { name: 'm_held_total', help: 'held' }).cell({});
  return {
    registry,
    record() {
      requests.cell({ route: 'a', status_class: '2xx' }).value += 3;
      requests.cell({ status_class: '4xx', route: '' }).value++;
      const a = latency.cell({ route: 'a' });
      for (const v of OBSERVED) a.observe(v);
      latency.cell({ route: 'b' }).observe(0.01);
      held.value += 0;
    },
  };
}

describe('plain counters and histograms', () => {
  it('export exactly the text prom-client exports for the same observations', async () => {
    const plain = plainRegistry();
    plain.record();
    expect(await plain.registry.metrics()).toBe(await promClientText());
  });

  it('give the same cell for the same labels in any order', () => {
    const counter = new PlainCounter(new Registry(), { name: 'c_total', help: 'c', labelNames: ['x', 'y'] });
    expect(counter.cell({ x: '1', y: '2' })).toBe(counter.cell({ y: '2', x: '1' }));
    expect(counter.cell({ x: '1', y: '2' })).not.toBe(counter.cell({ x: '2', y: '1' }));
  });

  it('sum over cluster workers, bucket by bucket', async () => {
    const one = plainRegistry();
    const two = plainRegistry();
    one.record();
    two.record();
    const merged = AggregatorRegistry.aggregate([await one.registry.getMetricsAsJSON(), await two.registry.getMetricsAsJSON()]);
    const text = await merged.metrics();
    expect(text).toContain('m_requests_total{route="a",status_class="2xx"} 6');
    expect(text).toContain('m_latency_seconds_bucket{le="0.001",route="a"} 4');
    expect(text).toContain('m_latency_seconds_bucket{le="+Inf",route="a"} 16');
    expect(text).toContain('m_latency_seconds_count{route="b"} 2');
  });

  it('are cleared by resetMetrics', async () => {
    const plain = plainRegistry();
    plain.record();
    plain.registry.resetMetrics();
    const text = await plain.registry.metrics();
    expect(text).toContain('m_latency_seconds_count{route="a"} 0');
    expect(text).toContain('m_requests_total{route="a",status_class="2xx"} 0');
  });
});

describe('declareMetrics', () => {
  it('declares a module’s metrics once per registry and separately on another', () => {
    let declared = 0;
    const metrics = declareMetrics((registry) => {
      declared++;
      return new Counter({ name: 'once_total', help: 'once', registers: [registry] });
    });
    const registry = new Registry();
    expect(metrics(registry)).toBe(metrics(registry));
    expect(metrics(new Registry())).not.toBe(metrics(registry));
    expect(declared).toBe(2);
  });
});

describe('a node', () => {
  it('declares every metric on its own registry, its plugin services’ too, and none on prom-client’s global one', async () => {
    register.clear();
    const settings = loadSettings({ accessLog: false }, {});
    const node = buildDataPlaneNode({ settings, log: pino({ level: 'silent' }), registry: new Registry(), plugins: createPluginRegistry() });
    const services = createPluginServices({}, undefined, node.registry);
    const route = { id: 'r', paths: ['/r'], upstream: 'u', plugins: { 'rate-limit': { limits: [{ count: 10, windowMs: 1000 }] } } };
    const chain = createPluginRegistry(services).factory.forRoute(route as never, { upstreams: [], routes: [route], consumers: [], plugins: {} } as never);
    await chain.access({ route, clientAddress: '192.0.2.1', remoteAddress: '192.0.2.1', headers: {}, responseHeaders: {}, vars: new Map() } as never);
    expect(register.getMetricsAsArray()).toEqual([]);
    const text = await node.registry.metrics();
    expect(text).toContain('gatehouse_requests_total');
    expect(text).toContain('gatehouse_ratelimit_decisions_total{source="memory",result="allowed"} 1');
    expect(text).toContain('gatehouse_process_cpu_seconds_total');
    await services.close();
    await node.proxy.close();
  });
});
