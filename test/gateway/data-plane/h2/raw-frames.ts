/**
 * Hand-built HTTP/2 frames for the flood tests: what an attacker writes (streams opened and reset at
 * once, SETTINGS over and over, endless CONTINUATION), which no client library will send.
 */
import { connect, type Socket } from 'node:net';

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, GOAWAY: 7, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 1, END_HEADERS: 4 } as const;
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK for `GET /` over http (static table entries 2, 6, 4) plus a literal `:authority`. */
export function getHeaderBlock(authority = 'localhost'): Buffer {
  return Buffer.concat([Buffer.from([0x82, 0x86, 0x84, 0x01, authority.length]), Buffer.from(authority, 'latin1')]);
}

/** A literal header field without indexing (`name: value`, new name). */
export function literalHeader(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name, 'latin1'), Buffer.from([value.length]), Buffer.from(value, 'latin1')]);
}

export function rstStream(streamId: number, code = 8 /* CANCEL */): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

export interface RawH2 {
  readonly socket: Socket;
  send(bytes: Buffer): boolean;
  /** The error code of the first GOAWAY received, once the connection is closed (undefined: none came). */
  closed(ms?: number): Promise<{ goaway: number | undefined }>;
}

/** Connects, sends the preface and an empty SETTINGS frame. */
export async function rawH2(port: number): Promise<RawH2> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  let received = Buffer.alloc(0);
  let goaway: number | undefined;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    while (received.length >= 9) {
      const length = received.readUIntBE(0, 3);
      if (received.length < 9 + length) break;
      if (received[3] === FRAME.GOAWAY && goaway === undefined) goaway = received.readUInt32BE(9 + 4);
      received = received.subarray(9 + length);
    }
  });
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
  return {
    socket,
    send: (bytes) => !socket.destroyed && socket.write(bytes),
    async closed(ms = 10_000) {
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
      if ((await Promise.race([ended, timer])) === 'timeout') throw new Error(`the gateway did not close the connection within ${ms} ms (GOAWAY ${goaway ?? 'none'})`);
      return { goaway };
    },
  };
}
