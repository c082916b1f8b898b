/**
 * A real @grpc/grpc-js server and client for the gRPC conformance tests: the Echo service (one method
 * per call kind) on 127.0.0.1 port 0, recording what it saw (metadata, cancellations, deadlines).
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const definition = protoLoader.loadSync(join(__dirname, '../../../fixtures/grpc/echo.proto'), { keepCase: true, longs: String, defaults: true });
const proto = grpc.loadPackageDefinition(definition) as unknown as { gatehouse: { test: { Echo: grpc.ServiceClientConstructor } } };
export const EchoClient = proto.gatehouse.test.Echo;

export interface EchoRequest {
  text?: string;
  count?: number;
  delay_ms?: number;
  blob?: Buffer;
}
export interface EchoReply {
  text: string;
  index: number;
  blob: Buffer;
}

export interface EchoServer {
  readonly port: number;
  /** Metadata of every call, in order. */
  readonly metadata: grpc.Metadata[];
  /** Calls the client (or the gateway) cancelled. */
  readonly cancelled: string[];
  /** Set by a test: the next ServerStream waits for this before its last message. */
  release?: () => void;
  /** Resolves when a ServerStream call sent its first message. */
  firstSent: Promise<void>;
  close(): Promise<void>;
  /** Stops at once, cutting calls in flight. */
  kill(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startEchoServer(): Promise<EchoServer> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  let markFirst = (): void => undefined;
  const state: EchoServer = {
    port: 0,
    metadata: [],
    cancelled: [],
    firstSent: new Promise<void>((r) => (markFirst = r)),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
    kill: () => server.forceShutdown(),
  };
  const watch = (name: string, call: { on(e: 'cancelled', f: () => void): void; metadata: grpc.Metadata }): void => {
    state.metadata.push(call.metadata);
    call.on('cancelled', () => state.cancelled.push(name));
  };
  server.addService(EchoClient.service, {
    Unary: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) => {
      watch('Unary', call);
      const { text = '', delay_ms = 0, blob } = call.request;
      if (text === 'fail') return callback({ code: grpc.status.FAILED_PRECONDITION, details: 'asked to fail' });
      const md = new grpc.Metadata();
      md.set('x-reply-meta', `re:${String(call.metadata.get('x-call-meta')[0] ?? '')}`);
      call.sendMetadata(md);
      setTimeout(() => {
        const trailer = new grpc.Metadata();
        trailer.set('x-trailer-meta', 'done');
        callback(null, { text: `echo:${text}`, index: 0, blob: blob ?? Buffer.alloc(0) }, trailer);
      }, delay_ms);
    },
    ServerStream: async (call: grpc.ServerWritableStream<EchoRequest, EchoReply>) => {
      watch('ServerStream', call);
      const { text = '', count = 1, delay_ms = 0 } = call.request;
      for (let i = 0; i < count && !call.cancelled; i++) {
        if (i === count - 1 && state.release) await new Promise<void>((r) => (state.release = r));
        call.write({ text, index: i, blob: Buffer.alloc(0) });
        if (i === 0) markFirst();
        if (delay_ms) await sleep(delay_ms);
      }
      if (!call.cancelled) call.end();
    },
    ClientStream: (call: grpc.ServerReadableStream<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) => {
      watch('ClientStream', call);
      const texts: string[] = [];
      call.on('data', (m: EchoRequest) => texts.push(m.text ?? ''));
      call.on('end', () => callback(null, { text: texts.join(','), index: texts.length, blob: Buffer.alloc(0) }));
    },
    Bidi: (call: grpc.ServerDuplexStream<EchoRequest, EchoReply>) => {
      watch('Bidi', call);
      let i = 0;
      call.on('data', (m: EchoRequest) => call.write({ text: `bidi:${m.text ?? ''}`, index: i++, blob: Buffer.alloc(0) }));
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  Object.assign(state, { port });
  return state;
}

/** A client of the Echo service at `address` (`127.0.0.1:port`), cleartext (h2c). */
export function echoClient(address: string, options: grpc.ClientOptions = {}): grpc.Client & Record<string, (...args: unknown[]) => unknown> {
  return new EchoClient(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024, ...options }) as never;
}

/** A unary call as a promise, with the headers and trailers metadata it received. */
export function unary(
  client: grpc.Client,
  request: EchoRequest,
  options: { metadata?: grpc.Metadata; deadlineMs?: number; method?: string } = {},
): Promise<{ reply?: EchoReply; error?: grpc.ServiceError; headers?: grpc.Metadata; trailers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    let trailers: grpc.Metadata | undefined;
    const callOptions: grpc.CallOptions = options.deadlineMs ? { deadline: Date.now() + options.deadlineMs } : {};
    const call = (client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>)[options.method ?? 'Unary'](
      request,
      options.metadata ?? new grpc.Metadata(),
      callOptions,
      (error: grpc.ServiceError | null, reply?: EchoReply) => setImmediate(() => resolve({ reply, error: error ?? undefined, headers, trailers })),
    );
    call.on('metadata', (m) => (headers = m));
    call.on('status', (s) => (trailers = s.metadata));
  });
}
