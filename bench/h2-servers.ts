/**
 * The h2 section's own servers, each run as its own process (prints `{"port": n}` once it listens):
 * - `upstream`: an h2c server answering every request with a small body;
 * - `proxy <upstream-port>`: the bare node:http2 reverse proxy, the floor an HTTP/2 proxy in Node
 *   pays (one h2c client session to the upstream, streams piped both ways, no routing or config);
 * - `grpc`: a @grpc/grpc-js server of the test Echo service (test/fixtures/grpc/echo.proto).
 */
import { connect, createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const BODY = Buffer.from('hello from the h2 bench upstream\n');
const report = (port: number): void => void process.stdout.write(`${JSON.stringify({ port })}\n`);
const PSEUDO_OR_HOP = (name: string): boolean => name.startsWith(':') || name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding';

function upstream(): void {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length }).end(BODY));
  server.listen(0, '127.0.0.1', () => report((server.address() as AddressInfo).port));
}

function proxy(upstreamPort: number): void {
  const session = connect(`http://127.0.0.1:${upstreamPort}`);
  const server = createServer();
  server.on('stream', (stream, headers: IncomingHttpHeaders) => {
    const out: OutgoingHttpHeaders = { ':method': headers[':method'], ':path': headers[':path'], ':authority': `127.0.0.1:${upstreamPort}` };
    for (const name in headers) if (!PSEUDO_OR_HOP(name)) out[name] = headers[name];
    const up = session.request(out, { endStream: stream.endAfterHeaders });
    up.on('response', (h) => {
      const back: OutgoingHttpHeaders = { ':status': h[':status'] };
      for (const name in h) if (!PSEUDO_OR_HOP(name)) back[name] = h[name];
      stream.respond(back);
      up.pipe(stream);
    });
    up.on('error', () => stream.destroy());
    stream.on('error', () => up.destroy());
    if (!stream.endAfterHeaders) stream.pipe(up);
  });
  server.listen(0, '127.0.0.1', () => report((server.address() as AddressInfo).port));
}

function grpcServer(): void {
  const def = protoLoader.loadSync(join(__dirname, '..', 'test', 'fixtures', 'grpc', 'echo.proto'), { keepCase: true, defaults: true });
  const Echo = (grpc.loadPackageDefinition(def) as unknown as { gatehouse: { test: { Echo: grpc.ServiceClientConstructor } } }).gatehouse.test.Echo;
  const server = new grpc.Server();
  server.addService(Echo.service, {
    Unary: (call: grpc.ServerUnaryCall<{ text: string }, object>, cb: grpc.sendUnaryData<object>) => cb(null, { text: call.request.text, index: 0 }),
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    report(port);
  });
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'upstream') upstream();
else if (mode === 'proxy' && Number(arg) > 0) proxy(Number(arg));
else if (mode === 'grpc') grpcServer();
else {
  process.stderr.write('usage: h2-servers.ts upstream | proxy <upstream-port> | grpc\n');
  process.exit(2);
}
