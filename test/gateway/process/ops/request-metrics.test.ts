/**
 * The request metrics' labels and their bounds: the status code label (fixed list, others `other`),
 * the upstream latency histogram apart from the total, body bytes, and per-consumer series only when
 * the `metricsConsumerLabels` setting asks for them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { GatewayMetrics } from '../../../../gateway/src/data-plane';
import { codeLabel, KNOWN_STATUS_CODES } from '../../../../gateway/src/data-plane/status/labels';
import { createPluginRegistry } from '../../../../gateway/src/plugins';
import { oneRoute, send, startGateway, startUpstream, type Gateway, type Upstream } from '../../data-plane/proxy/harness';

const KEY = 'bob-key-0123456789abcdef';

describe('request metrics', () => {
  let upstream: Upstream;
  const gateways: Gateway[] = [];

  beforeAll(async () => {
    upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-length': '5' }).end('hello'));
    });
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await upstream.close();
  });

  const metricsOf = (gw: Gateway) => gw.metrics.registry.metrics();

  it('labels known status codes by code and every other code as "other"', async () => {
    const gw = await startGateway(oneRoute([upstream.port], { id: 'api' }));
    gateways.push(gw);
    for (const status of [200, 200, 503, 299, 298, 418]) await send(`${gw.origin}/x?status=${status}`);
    const text = await metricsOf(gw);
    expect(text).toContain('gatehouse_requests_total{route="api",status_class="2xx",code="200"} 2');
    expect(text).toContain('gatehouse_requests_total{route="api",status_class="5xx",code="503"} 1');
    expect(text).toContain('gatehouse_requests_total{route="api",status_class="2xx",code="other"} 2');
    expect(text).toContain('gatehouse_requests_total{route="api",status_class="4xx",code="other"} 1');
    expect(text).not.toMatch(/code="(299|298|418)"/);
    expect(codeLabel(-1)).toBe('other');
    expect(KNOWN_STATUS_CODES.length).toBeLessThan(40);
  });

  it('keeps the upstream latency apart from the total, and counts body bytes in and out', async () => {
    const gw = await startGateway(oneRoute([upstream.port], { id: 'api' }));
    gateways.push(gw);
    await send(`${gw.origin}/x`, { method: 'POST', body: 'abcdefghij' });
    await send(`${gw.origin}/x`, { method: 'POST', body: 'klmnopqrst' });
    const text = await metricsOf(gw);
    expect(text).toContain('gatehouse_upstream_duration_seconds_count{route="api"} 2');
    expect(text).toContain('gatehouse_request_duration_seconds_count{route="api"} 2');
    expect(text).toContain('gatehouse_request_body_bytes_total{route="api"} 20');
    expect(text).toContain('gatehouse_response_body_bytes_total{route="api"} 10');
    const sum = (name: string) => Number(new RegExp(`^${name}_sum\\{route="api"\\} (\\S+)$`, 'm').exec(text)![1]);
    expect(sum('gatehouse_upstream_duration_seconds')).toBeLessThanOrEqual(sum('gatehouse_request_duration_seconds'));
  });

  it('a request that never reached an upstream has no upstream latency', async () => {
    const gw = await startGateway(oneRoute([upstream.port], { id: 'api', paths: ['/only'] }));
    gateways.push(gw);
    await send(`${gw.origin}/elsewhere`);
    const text = await metricsOf(gw);
    expect(text).toContain('gatehouse_requests_total{route="",status_class="4xx",code="404"} 1');
    expect(text).toContain('gatehouse_upstream_duration_seconds_count{route=""} 0');
  });

  it('exports per-consumer series only when asked', async () => {
    const doc = {
      ...oneRoute([upstream.port], { id: 'keyed', plugins: { 'key-auth': {} } }),
      consumers: [{ id: 'bob', plugins: { 'key-auth': { key: KEY } } }],
    };
    const plain = await startGateway(doc, { plugins: createPluginRegistry() });
    gateways.push(plain);
    await send(`${plain.origin}/x`, { headers: { 'x-api-key': KEY } });
    expect(await metricsOf(plain)).not.toContain('gatehouse_consumer_requests_total');

    const registry = new Registry();
    const labelled = await startGateway(doc, { plugins: createPluginRegistry(), metrics: new GatewayMetrics({ registry, snapshot: () => undefined, processMetrics: false, consumerLabels: true }) });
    gateways.push(labelled);
    await send(`${labelled.origin}/x`, { headers: { 'x-api-key': KEY } });
    await send(`${labelled.origin}/x`, { headers: { 'x-api-key': KEY } });
    await send(`${labelled.origin}/x`);
    const text = await registry.metrics();
    expect(text).toContain('gatehouse_consumer_requests_total{route="keyed",consumer="bob",status_class="2xx"} 2');
    // Unauthenticated requests carry no consumer: no series for them.
    expect(text).not.toMatch(/consumer_requests_total\{[^}]*status_class="4xx"\} [1-9]/);
  });
});
