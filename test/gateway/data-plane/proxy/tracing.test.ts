/**
 * Request tracing against a local OTLP/HTTP receiver: a server span per request (child of the
 * caller's `traceparent`), a client span per upstream attempt (child of the server span) whose
 * context the upstream receives, parent-based ratio sampling, and no tracing at all when off.
 */
import { OtelRequestTracing } from '../../../../gateway/src/data-plane/tracing';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../../helpers/otlp-receiver';
import { closedPort, oneRoute, send, startGateway, startUpstream, until, type Gateway, type Upstream } from './harness';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const SERVER = 2;
const CLIENT = 3;

/** `traceparent` as the upstream received it: trace id, parent (span) id, flags. */
const parsed = (header: string | string[] | undefined) => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(String(header));
  if (!m) throw new Error(`not a traceparent: ${String(header)}`);
  return { traceId: m[1], spanId: m[2], flags: m[3] };
};

describe('tracing', () => {
  let receiver: OtlpReceiver;
  let upstream: Upstream;
  const gateways: Gateway[] = [];
  const tracings: OtelRequestTracing[] = [];

  const tracedGateway = async (document: object, sampleRatio: number) => {
    const tracing = new OtelRequestTracing({ endpoint: receiver.url, sampleRatio, nodeId: 'node-a', region: 'eu-west-1', exportDelayMs: 50 });
    tracings.push(tracing);
    const gw = await startGateway(document, { tracing });
    gateways.push(gw);
    return { gw, tracing };
  };
  const ofTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await Promise.all(tracings.map((t) => t.close()));
    await upstream.close();
    await receiver.close();
  });

  it('continues the caller\'s trace: server span under the caller, client span under it, the upstream under the client span', async () => {
    const { gw, tracing } = await tracedGateway(oneRoute([upstream.port], { id: 'orders', paths: ['/orders/*'] }), 0);
    const res = await send(`${gw.origin}/orders/7?api_key=secret`, {
      headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'vendor=1', 'user-agent': 'probe/1.0', 'x-request-id': 'trace-1' },
    });
    expect(res.status).toBe(200);
    await tracing.flush();
    await until(() => ofTrace(CALLER_TRACE).length === 2, 'two spans of the caller\'s trace');
    const server = ofTrace(CALLER_TRACE).find((s) => s.kind === SERVER)!;
    const client = ofTrace(CALLER_TRACE).find((s) => s.kind === CLIENT)!;
    expect(server.parentSpanId).toBe(CALLER_SPAN);
    expect(client.parentSpanId).toBe(server.spanId);
    expect(server).toMatchObject({
      name: 'GET orders',
      status: 0,
      attributes: {
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'url.path': '/orders/7',
        'http.response.status_code': 200,
        'user_agent.original': 'probe/1.0',
        'client.address': '127.0.0.1',
        'gatehouse.route': 'orders',
        'gatehouse.upstream': 'u',
        'gatehouse.request_id': 'trace-1',
      },
      resource: { 'service.name': 'gatehouse', 'service.instance.id': 'node-a', 'cloud.region': 'eu-west-1' },
    });
    expect(client).toMatchObject({
      name: 'GET',
      attributes: {
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': upstream.port,
        'url.path': '/orders/7',
        'http.response.status_code': 200,
        'gatehouse.target': `127.0.0.1:${upstream.port}`,
      },
    });
    // No query string anywhere in the spans: it may carry credentials.
    expect(JSON.stringify(ofTrace(CALLER_TRACE))).not.toContain('secret');
    const seen = upstream.seen.find((s) => s.headers['x-request-id'] === 'trace-1')!;
    expect(parsed(seen.headers.traceparent)).toEqual({ traceId: CALLER_TRACE, spanId: client.spanId, flags: '01' });
    expect(seen.headers.tracestate).toBe('vendor=1');
    expect(receiver.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
  });

  it('gives each upstream attempt its own client span; the retry carries resend_count and the failure error.type', async () => {
    const dead = await closedPort();
    const { gw, tracing } = await tracedGateway(oneRoute([dead, upstream.port], {}, { retries: 1, healthChecks: { passive: { enabled: false } } }), 1);
    // Round robin: one of two requests meets the dead target first and is retried on the live one.
    for (const id of ['retry-1', 'retry-2']) expect((await send(`${gw.origin}/x`, { headers: { 'x-request-id': id } })).status).toBe(200);
    await tracing.flush();
    const traces = new Map<string, ReceivedSpan[]>();
    await until(() => {
      traces.clear();
      for (const s of receiver.spans.filter((x) => x.resource['service.instance.id'] === 'node-a')) {
        const server = receiver.spans.find((x) => x.traceId === s.traceId && x.kind === SERVER);
        const id = server?.attributes['gatehouse.request_id'];
        if (id === 'retry-1' || id === 'retry-2') traces.set(String(id), [...(traces.get(String(id)) ?? []), s]);
      }
      return [...traces.values()].reduce((n, t) => n + t.length, 0) === 5;
    }, 'five spans for the two requests');
    const retried = [...traces.values()].find((t) => t.filter((s) => s.kind === CLIENT).length === 2)!;
    const server = retried.find((s) => s.kind === SERVER)!;
    const [first, second] = retried.filter((s) => s.kind === CLIENT).sort((a, b) => Number(a.attributes['http.request.resend_count'] ?? 0) - Number(b.attributes['http.request.resend_count'] ?? 0));
    expect(server.parentSpanId).toBe('');
    expect([first!.parentSpanId, second!.parentSpanId]).toEqual([server.spanId, server.spanId]);
    expect(first).toMatchObject({ status: 2, attributes: { 'error.type': 'connect-failure', 'gatehouse.target': `127.0.0.1:${dead}` } });
    expect(first!.attributes['http.request.resend_count']).toBeUndefined();
    expect(second).toMatchObject({ status: 0, attributes: { 'http.request.resend_count': 1, 'http.response.status_code': 200 } });
  });

  it('samples by ratio for new traces and follows the caller\'s decision otherwise', async () => {
    const { gw, tracing } = await tracedGateway(oneRoute([upstream.port]), 0);
    const before = receiver.spans.length;
    // Ratio 0, no parent: not sampled; the upstream still gets a context, marked not sampled.
    await send(`${gw.origin}/a`, { headers: { 'x-request-id': 'unsampled-1' } });
    // Ratio 0, the caller says sampled: traced.
    const caller = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    await send(`${gw.origin}/b`, { headers: { traceparent: `00-${caller}-bbbbbbbbbbbbbbbb-01`, 'x-request-id': 'sampled-1' } });
    await tracing.flush();
    await until(() => ofTrace(caller).length === 2, 'the caller-sampled trace');
    const unsampled = parsed(upstream.seen.find((s) => s.headers['x-request-id'] === 'unsampled-1')!.headers.traceparent);
    expect(unsampled.flags).toBe('00');
    expect(ofTrace(unsampled.traceId)).toEqual([]);
    expect(receiver.spans.slice(before).map((s) => s.traceId)).toEqual([caller, caller]);

    // Ratio 1, the caller says not sampled: not traced.
    const all = await tracedGateway(oneRoute([upstream.port]), 1);
    const declined = 'cccccccccccccccccccccccccccccccc';
    await send(`${all.gw.origin}/c`, { headers: { traceparent: `00-${declined}-dddddddddddddddd-00`, 'x-request-id': 'declined-1' } });
    await all.tracing.flush();
    expect(ofTrace(declined)).toEqual([]);
    expect(parsed(upstream.seen.find((s) => s.headers['x-request-id'] === 'declined-1')!.headers.traceparent)).toMatchObject({ traceId: declined, flags: '00' });
  });

  it('without tracing passes the caller\'s traceparent through untouched and exports nothing', async () => {
    const gw = await startGateway(oneRoute([upstream.port]));
    gateways.push(gw);
    const before = receiver.spans.length;
    const header = `00-${'e'.repeat(32)}-${'f'.repeat(16)}-01`;
    await send(`${gw.origin}/plain`, { headers: { traceparent: header, 'x-request-id': 'off-1' } });
    expect(upstream.seen.find((s) => s.headers['x-request-id'] === 'off-1')!.headers.traceparent).toBe(header);
    expect(receiver.spans.length).toBe(before);
  });
});
