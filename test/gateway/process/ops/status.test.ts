import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { configChecksum } from '../../../../gateway/src/core/checksum';
import { drain } from '../../../../gateway/src/data-plane';
import { buildDataPlaneNode, type DataPlaneNode } from '../../../../gateway/src/roles';
import { loadSettings } from '../../../../gateway/src/settings';
import { LogLines, oneRoute, send, startUpstream, until, type Upstream } from '../../data-plane/proxy/harness';

describe('status listener', () => {
  let upstream: Upstream;
  let node: DataPlaneNode;
  let status: string;
  let proxy: string;
  let drained = false;

  beforeAll(async () => {
    upstream = await startUpstream();
    const settings = loadSettings({ accessLog: false, statusPort: 0, proxyPort: 0 }, {});
    node = buildDataPlaneNode({ settings, log: pino({ level: 'silent' }, new LogLines()) });
    await node.proxy.listen({ host: '127.0.0.1', port: 0 });
    await node.status!.listen({ host: '127.0.0.1', port: 0 });
    status = `http://127.0.0.1:${(node.status!.server.address() as AddressInfo).port}`;
    proxy = `http://127.0.0.1:${(node.proxy.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    if (!drained) await drain(node, { deregistrationDelayMs: 0, drainTimeoutMs: 1_000 });
    await node.status!.close();
    await upstream.close();
  });

  it('/healthz answers 200 from the start', async () => {
    const res = await send(`${status}/healthz`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it('/readyz answers 503 until a config is loaded', async () => {
    const res = await send(`${status}/readyz`);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ status: 'not-ready', reason: 'no config loaded yet' });
  });

  it('/readyz answers 200 with the version once a config is applied', async () => {
    const doc = oneRoute([upstream.port], { id: 'api', paths: ['/api/*'] });
    await node.dataPlane.apply(doc, { version: 12, checksum: configChecksum(doc), source: 'file' });
    const res = await send(`${status}/readyz`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ready', version: 12 });
  });

  it('/metrics exports requests by route and status class, latency, target health, version and in-flight', async () => {
    await send(`${proxy}/api/a`);
    await send(`${proxy}/api/b`);
    await send(`${proxy}/missing`);
    const res = await send(`${status}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toContain('gatehouse_requests_total{route="api",status_class="2xx",code="200"} 2');
    expect(text).toContain('gatehouse_requests_total{route="",status_class="4xx",code="404"} 1');
    expect(text).toMatch(/gatehouse_request_duration_seconds_bucket\{le="[0-9.]+",route="api"\} \d+/);
    expect(text).toContain('gatehouse_request_duration_seconds_count{route="api"} 2');
    expect(text).toContain(`gatehouse_upstream_target_healthy{upstream="u",target="127.0.0.1:${upstream.port}"} 1`);
    expect(text).toContain('gatehouse_config_version 12');
    expect(text).toContain('gatehouse_requests_in_flight 0');
    expect(text).toContain('gatehouse_config_reloads_total{source="file"} 1');
    expect(text).toContain('gatehouse_process_resident_memory_bytes');
  });

  it('/readyz answers 503 while draining, and the proxy keeps serving (asking clients to close) until the delay ends', async () => {
    const draining = drain(node, { deregistrationDelayMs: 400, drainTimeoutMs: 2_000 });
    drained = true;
    const ready = await send(`${status}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ status: 'not-ready', reason: 'draining', version: 12 });
    const served = await send(`${proxy}/api/during-drain`);
    expect(served.status).toBe(200);
    expect(served.headers.connection).toBe('close');
    expect(await draining).toEqual({ clean: true, abandoned: 0 });
    await until(async () => send(`${proxy}/api/after`).then(() => false, () => true), 'the proxy listener to refuse connections');
  });
});
