import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createSigner } from 'fast-jwt';
import { createPluginRegistry, createPluginServices, type ClosablePluginServices } from '../../../../gateway/src/plugins';
import { closedPort, startGateway, until, type Gateway } from '../proxy/harness';
import { echoClient, startEchoServer, unary, type EchoReply, type EchoServer } from './grpc-echo';

const KEY = 'grpc-key-0123456789abcdef';
const JWT_SECRET = 'a-very-long-hs256-secret-0123456789';
const ECHO = '/gatehouse.test.Echo/*';

describe('gRPC through the gateway (grpc-js server and client, h2c both sides)', () => {
  let echo: EchoServer;
  let gw: Gateway;
  let services: ClosablePluginServices;
  let client: ReturnType<typeof echoClient>;
  const clients: grpc.Client[] = [];
  const clientFor = (prefix: string) => {
    // A route prefix is a second copy of the service's path, reached through a `:authority` the routes match on.
    const c = echoClient(`127.0.0.1:${gw.port}`, { 'grpc.default_authority': prefix });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    echo = await startEchoServer();
    const down = await closedPort();
    services = createPluginServices({});
    gw = await startGateway(
      {
        upstreams: [
          { id: 'echo', protocol: 'h2c', targets: [{ host: '127.0.0.1', port: echo.port }] },
          { id: 'down', protocol: 'h2c', targets: [{ host: '127.0.0.1', port: down }], retries: 0 },
        ],
        consumers: [{ id: 'alice', plugins: { 'key-auth': { key: KEY }, 'jwt-auth': { subject: 'alice', secret: JWT_SECRET } } }],
        routes: [
          { id: 'echo', hosts: ['echo.test'], paths: [ECHO], upstream: 'echo', timeouts: { requestMs: 1_500 } },
          { id: 'down', hosts: ['down.test'], paths: [ECHO], upstream: 'down' },
          { id: 'key', hosts: ['key.test'], paths: [ECHO], upstream: 'echo', plugins: { 'key-auth': {} } },
          { id: 'jwt', hosts: ['jwt.test'], paths: [ECHO], upstream: 'echo', plugins: { 'jwt-auth': {} } },
          { id: 'limited', hosts: ['limited.test'], paths: [ECHO], upstream: 'echo', plugins: { 'rate-limit': { limits: [{ count: 1, windowMs: 3_600_000 }] } } },
          { id: 'denied', hosts: ['denied.test'], paths: [ECHO], upstream: 'echo', plugins: { 'ip-restriction': { deny: ['127.0.0.1'] } } },
        ],
      },
      { plugins: createPluginRegistry(services), accessLog: true },
    );
    client = clientFor('echo.test');
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await gw.close();
    await echo.close();
    await services.close();
  });

  it('unary: request, reply, metadata both ways and trailer metadata', async () => {
    const md = new grpc.Metadata();
    md.set('x-call-meta', 'hello');
    const { reply, error, headers, trailers } = await unary(client, { text: 'hi' }, { metadata: md });
    expect(error).toBeUndefined();
    expect(reply!.text).toBe('echo:hi');
    expect(headers!.get('x-reply-meta')).toEqual(['re:hello']);
    expect(headers!.get('via')).toEqual(['1.1 gatehouse']);
    expect(trailers!.get('x-trailer-meta')).toEqual(['done']);
    const seen = echo.metadata.at(-1)!;
    expect(seen.get('x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(gw.accessLines.lines.some((l) => l.path === '/gatehouse.test.Echo/Unary' && l.status === 200)).toBe(true);
  });

  it('an upstream gRPC error passes through with its code and message', async () => {
    const { error } = await unary(client, { text: 'fail' });
    expect(error!.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(error!.details).toBe('asked to fail');
  });

  it('server streaming: the first message reaches the client before the upstream sends its last', async () => {
    let release: (() => void) | undefined;
    echo.release = () => undefined;
    const call = (client.ServerStream as (r: object) => grpc.ClientReadableStream<EchoReply>)({ text: 's', count: 3 });
    const got: number[] = [];
    const ended = new Promise<void>((resolve, reject) => call.on('end', resolve).on('error', reject));
    call.on('data', (m: EchoReply) => got.push(m.index));
    await until(() => got.length === 2, 'two messages before the upstream sends its last');
    expect(got).toEqual([0, 1]);
    release = echo.release;
    release!();
    await ended;
    expect(got).toEqual([0, 1, 2]);
    echo.release = undefined;
  });

  it('client streaming: every message arrives, one reply', async () => {
    const reply = await new Promise<EchoReply>((resolve, reject) => {
      const call = (client.ClientStream as (cb: (e: Error | null, r: EchoReply) => void) => grpc.ClientWritableStream<object>)((e, r) => (e ? reject(e) : resolve(r)));
      for (const text of ['a', 'b', 'c']) call.write({ text });
      call.end();
    });
    expect(reply).toMatchObject({ text: 'a,b,c', index: 3 });
  });

  it('bidirectional streaming: replies interleave with requests', async () => {
    const call = (client.Bidi as () => grpc.ClientDuplexStream<object, EchoReply>)();
    const replies: string[] = [];
    call.on('data', (m: EchoReply) => replies.push(m.text));
    const ended = new Promise<void>((resolve, reject) => call.on('end', resolve).on('error', reject));
    call.write({ text: 'one' });
    await until(() => replies.length === 1, 'the first reply before the second request');
    call.write({ text: 'two' });
    await until(() => replies.length === 2, 'the second reply');
    call.end();
    await ended;
    expect(replies).toEqual(['bidi:one', 'bidi:two']);
  });

  it('large messages (8 MB each way)', async () => {
    const blob = Buffer.alloc(8 * 1024 * 1024, 7);
    const { reply, error } = await unary(client, { text: 'big', blob });
    expect(error).toBeUndefined();
    expect(reply!.blob.length).toBe(blob.length);
    expect(reply!.blob.equals(blob)).toBe(true);
  });

  it('a client deadline ends the call with DEADLINE_EXCEEDED and cancels the upstream call', async () => {
    const { error } = await unary(client, { text: 'slow', delay_ms: 3_000 }, { deadlineMs: 200 });
    expect(error!.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await until(() => echo.cancelled.includes('Unary'), 'the upstream call to be cancelled');
  });

  it('grpc-timeout is capped by the route timeout: the gateway answers DEADLINE_EXCEEDED itself', async () => {
    const { error } = await unary(client, { text: 'slow', delay_ms: 5_000 }, { deadlineMs: 60_000 });
    // The gateway forwards the capped grpc-timeout, so the upstream may end the call first with the same code.
    expect(error!.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('a deadline in the middle of a server stream ends it with DEADLINE_EXCEEDED after the messages sent', async () => {
    const call = (client.ServerStream as (r: object, m: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<EchoReply>)(
      { text: 's', count: 100, delay_ms: 50 },
      new grpc.Metadata(),
      { deadline: Date.now() + 60_000 },
    );
    const got: number[] = [];
    call.on('data', (m: EchoReply) => got.push(m.index));
    call.on('error', () => undefined);
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(100);
  });

  it('a client that cancels a stream cancels the upstream call', async () => {
    const before = echo.cancelled.filter((c) => c === 'ServerStream').length;
    const call = (client.ServerStream as (r: object) => grpc.ClientReadableStream<EchoReply>)({ text: 'c', count: 1_000, delay_ms: 20 });
    call.on('error', () => undefined);
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.cancel();
    await until(() => echo.cancelled.filter((c) => c === 'ServerStream').length > before, 'the upstream stream to be cancelled');
  });

  it('an upstream that goes away mid-stream ends the client call with an error, not a hang', async () => {
    const other = await startEchoServer();
    const doc = { upstreams: [{ id: 'other', protocol: 'h2c', targets: [{ host: '127.0.0.1', port: other.port }] }], routes: [{ id: 'other', paths: [ECHO], upstream: 'other' }] };
    const gw2 = await startGateway(doc);
    const c = echoClient(`127.0.0.1:${gw2.port}`);
    const call = (c.ServerStream as (r: object) => grpc.ClientReadableStream<EchoReply>)({ text: 'x', count: 1_000, delay_ms: 20 });
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => undefined);
    other.kill();
    expect((await status).code).not.toBe(grpc.status.OK);
    c.close();
    await gw2.close();
  });

  describe('gateway errors are gRPC statuses (HTTP 200, grpc-status)', () => {
    it('no route: UNIMPLEMENTED', async () => {
      const { error } = await unary(clientFor('nowhere.test'), { text: 'x' });
      expect(error!.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(error!.details).toBe('No route matches this request.');
    });

    it('upstream down: UNAVAILABLE', async () => {
      const { error } = await unary(clientFor('down.test'), { text: 'x' });
      expect(error!.code).toBe(grpc.status.UNAVAILABLE);
    });

    it('key-auth: UNAUTHENTICATED without the key, OK with it', async () => {
      const keyed = clientFor('key.test');
      expect((await unary(keyed, { text: 'x' })).error!.code).toBe(grpc.status.UNAUTHENTICATED);
      const md = new grpc.Metadata();
      md.set('x-api-key', KEY);
      expect((await unary(keyed, { text: 'x' }, { metadata: md })).reply!.text).toBe('echo:x');
    });

    it('jwt-auth: UNAUTHENTICATED without a token, OK with one', async () => {
      const jwt = clientFor('jwt.test');
      expect((await unary(jwt, { text: 'x' })).error!.code).toBe(grpc.status.UNAUTHENTICATED);
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${createSigner({ key: JWT_SECRET, algorithm: 'HS256' })({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 })}`);
      expect((await unary(jwt, { text: 'x' }, { metadata: md })).reply!.text).toBe('echo:x');
    });

    it('rate-limit: RESOURCE_EXHAUSTED past the limit', async () => {
      const limited = clientFor('limited.test');
      expect((await unary(limited, { text: 'x' })).error).toBeUndefined();
      const { error, headers } = await unary(limited, { text: 'x' });
      expect(error!.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(headers!.get('retry-after')).toHaveLength(1);
    });

    it('ip-restriction: PERMISSION_DENIED', async () => {
      const { error } = await unary(clientFor('denied.test'), { text: 'x' });
      expect(error!.code).toBe(grpc.status.PERMISSION_DENIED);
    });
  });

  describe('grpc.health.v1.Health/Check', () => {
    const health = grpc.loadPackageDefinition(protoLoader.loadSync(join(__dirname, '../../../fixtures/grpc/health.proto'), { enums: String, defaults: true })) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    const check = (port: number) =>
      new Promise<{ status?: string; code: number }>((resolve) => {
        const c = new health.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        (c.Check as (r: object, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void) => void)({ service: '' }, (e, r) => {
          c.close();
          resolve({ status: r?.status, code: e?.code ?? grpc.status.OK });
        });
      });

    it('answers SERVING while ready, UNAVAILABLE while draining', async () => {
      const g = await startGateway({ upstreams: [], routes: [] });
      expect(await check(g.port)).toEqual({ status: 'SERVING', code: grpc.status.OK });
      g.dataPlane.startDraining();
      expect((await check(g.port)).code).toBe(grpc.status.UNAVAILABLE);
      await g.close();
    });

    it('answers UNAVAILABLE before any config is loaded', async () => {
      const g = await startGateway();
      expect((await check(g.port)).code).toBe(grpc.status.UNAVAILABLE);
      await g.close();
    });
  });
});
