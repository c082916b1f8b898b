/**
 * Recognises the HTTP/2 connection preface (RFC 9113 section 3.4) on a cleartext connection before
 * any parser sees it, so that HTTP/1.1 and h2c with prior knowledge share the proxy port: node's
 * `allowHTTP1` only works behind TLS, where ALPN decides. The bytes read while looking are put back
 * for whichever parser gets the socket. `Upgrade: h2c` is never honoured (a smuggling vector; see
 * proxy/replay.ts).
 */
import type { Socket } from 'node:net';

/** What every HTTP/2 client sends first. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Reads until the first bytes prove or rule out the preface (one packet in practice: `GET`, `POST`
 * and the preface part at the first or second byte), puts them back, and reports. A connection
 * that sends nothing for `timeoutMs` is closed (the header timeout, which no parser enforces yet).
 */
export function sniffPreface(socket: Socket, timeoutMs: number, decided: (h2: boolean) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  timer.unref();
  const stop = (): void => {
    clearTimeout(timer);
    socket.off('readable', onReadable);
    socket.off('close', stop);
  };
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null) {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const prefix = seen.compare(H2_PREFACE, 0, n, 0, n) === 0;
      if (prefix && seen.length < H2_PREFACE.length) continue;
      stop();
      socket.unshift(seen);
      decided(prefix);
      return;
    }
  };
  socket.on('readable', onReadable);
  socket.on('close', stop);
}
