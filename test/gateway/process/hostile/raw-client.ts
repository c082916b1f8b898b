/**
 * A raw TCP client for the hostile-client suite: it writes exactly the bytes an attacker would
 * (duplicate headers, bad framing, slow bodies, pipelined requests) and reads what comes back,
 * so nothing in an HTTP client library can clean a request up before the gateway sees it.
 */
import { connect, type Socket } from 'node:net';

export interface RawConnection {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Writes bytes as they are. */
  send(bytes: string | Buffer): void;
  /** Resolves once the received text matches `pattern` (or rejects after `ms`, naming what it waited for). */
  until(pattern: RegExp, ms?: number): Promise<string>;
  /** Resolves once the server closed the connection (with everything received). */
  closed(ms?: number): Promise<string>;
  close(): void;
}

/** Opens a connection to 127.0.0.1:`port`. */
export async function rawConnect(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = (): void => waiters.forEach((w) => w());
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => ((text += chunk), wake()));
  socket.on('close', () => ((ended = true), wake()));
  socket.on('error', () => undefined);
  const wait = (done: () => boolean, what: string, ms: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (done()) return finish(() => resolve(text));
        if (ended) finish(() => reject(new Error(`connection closed while waiting for ${what}; received:\n${text}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; received:\n${text}`))), ms);
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      check();
    });
  return {
    socket,
    received: () => text,
    send: (bytes) => void socket.write(bytes),
    until: (pattern, ms = 10_000) => wait(() => pattern.test(text), String(pattern), ms),
    closed: (ms = 10_000) => wait(() => ended, 'the server to close the connection', ms),
    close: () => socket.destroy(),
  };
}

/** Sends one request over a fresh connection and resolves with everything received until the server closes it. */
export async function rawExchange(port: number, bytes: string, ms = 10_000): Promise<string> {
  const conn = await rawConnect(port);
  try {
    conn.send(bytes);
    return await conn.closed(ms);
  } finally {
    conn.close();
  }
}

/** The status code of the first response in `text`, or undefined. */
export function statusOf(text: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : undefined;
}
