/**
 * Routes with a `grpc` match, through a real grpc-js client and server: the service's methods are
 * reached, other methods are not, and only gRPC calls (POST with a gRPC content type) match unless
 * the route turns the content-type condition off.
 */
import * as grpc from '@grpc/grpc-js';
import { isGrpcContentType } from '../../../../gateway/src/data-plane/grpc';
import { send, startGateway, startUpstream, type Gateway, type Upstream } from '../proxy/harness';
import { h2Request, h2Session } from './h2-client';
import { echoClient, startEchoServer, unary, type EchoServer } from './grpc-echo';

const NO_ROUTE = { error: { code: 'GW_ERR_NO_ROUTE', message: 'No route matches this request.' } };

describe('grpc route match through the gateway', () => {
  let echo: EchoServer;
  let plain: Upstream;
  let gw: Gateway;
  let client: ReturnType<typeof echoClient>;

  beforeAll(async () => {
    echo = await startEchoServer();
    plain = await startUpstream();
    gw = await startGateway({
      upstreams: [
        { id: 'echo', protocol: 'h2c', targets: [{ host: '127.0.0.1', port: echo.port }] },
        { id: 'plain', targets: [{ host: '127.0.0.1', port: plain.port }] },
      ],
      routes: [
        { id: 'unary', grpc: { service: 'gatehouse.test.Echo', methods: ['Unary', 'Bidi'] }, upstream: 'echo' },
        // Any POST to the service's paths on this host, gRPC or not (a JSON transcoder, say).
        { id: 'any-post', hosts: ['json.test'], grpc: { service: 'gatehouse.test.Echo', matchContentType: false }, upstream: 'plain' },
      ],
    });
    client = echoClient(`127.0.0.1:${gw.port}`);
  });
  afterAll(async () => {
    client.close();
    await gw.close();
    await echo.close();
    await plain.close();
  });

  it('a listed method is proxied (unary, with trailers)', async () => {
    const { reply, error, trailers } = await unary(client, { text: 'hi' });
    expect(error).toBeUndefined();
    expect(reply!.text).toBe('echo:hi');
    expect(trailers!.get('x-trailer-meta')).toEqual(['done']);
  });

  it('a listed streaming method is proxied', async () => {
    const call = (client.Bidi as () => grpc.ClientDuplexStream<object, { text: string }>)();
    const replies: string[] = [];
    call.on('data', (m: { text: string }) => replies.push(m.text));
    const ended = new Promise<void>((resolve, reject) => call.on('end', resolve).on('error', reject));
    call.write({ text: 'one' });
    call.end();
    await ended;
    expect(replies).toEqual(['bidi:one']);
  });

  it('a method the route does not list has no route: UNIMPLEMENTED, and the upstream never sees it', async () => {
    const before = echo.metadata.length;
    const call = (client.ServerStream as (r: object) => grpc.ClientReadableStream<object>)({ text: 'x', count: 1 });
    call.on('data', () => undefined);
    call.on('error', () => undefined);
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    expect(status.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(status.details).toBe('No route matches this request.');
    expect(echo.metadata.length).toBe(before);
  });

  it('a plain HTTP/1.1 POST to a method path with another content type does not match', async () => {
    const before = echo.metadata.length;
    const answer = await send(`${gw.origin}/gatehouse.test.Echo/Unary`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject(NO_ROUTE);
    expect(echo.metadata.length).toBe(before);
  });

  it('a GET to a method path does not match, even with a gRPC content type', async () => {
    const answer = await send(`${gw.origin}/gatehouse.test.Echo/Unary`, { headers: { 'content-type': 'application/grpc' } });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject(NO_ROUTE);
  });

  it('gRPC-Web is not gRPC: an HTTP/2 POST with application/grpc-web does not match and gets an HTTP 404, not a gRPC status', async () => {
    const session = await h2Session(gw.origin);
    const answer = await h2Request(session, { ':method': 'POST', ':path': '/gatehouse.test.Echo/Unary', 'content-type': 'application/grpc-web+proto' }, Buffer.alloc(5));
    session.close();
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.trailers['grpc-status']).toBeUndefined();
  });

  it('with matchContentType false, any POST to the paths matches, and other methods still do not', async () => {
    const post = await send(`${gw.origin}/gatehouse.test.Echo/Anything`, { method: 'POST', headers: { host: 'json.test', 'content-type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(200);
    expect(plain.seen.at(-1)).toMatchObject({ method: 'POST', url: '/gatehouse.test.Echo/Anything' });
    const get = await send(`${gw.origin}/gatehouse.test.Echo/Anything`, { headers: { host: 'json.test' } });
    expect(get.status).toBe(404);
  });
});

describe('isGrpcContentType', () => {
  test.each([
    ['application/grpc', true],
    ['application/grpc+proto', true],
    ['application/grpc+json', true],
    ['application/grpc; charset=utf-8', true],
    ['Application/GRPC', true],
    ['application/grpc-web', false],
    ['application/grpc-web+proto', false],
    ['application/grpc-web-text', false],
    ['application/grpcx', false],
    ['application/json', false],
    ['', false],
  ])('%j is a gRPC content type: %s', (value, expected) => {
    expect(isGrpcContentType(value)).toBe(expected);
  });

  it('a repeated content-type field is not', () => {
    expect(isGrpcContentType(['application/grpc', 'application/grpc'])).toBe(false);
  });
});
