/**
 * Upgrade requests that can never become a tunnel (any protocol but WebSocket, among them `h2c`, the
 * smuggling vector; or a request with a body) are handed back to the HTTP server as plain requests:
 * their head is written again without `Upgrade` (and without the `upgrade` token of `Connection`),
 * put in front of whatever the client sent after it, and the socket gets a fresh HTTP parser. The
 * request then goes through the ordinary pipeline, and the connection stays parsed HTTP, pipelined
 * requests and chunked bodies included.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Gives a socket (with its unread bytes put back) to the HTTP server as if it had just connected. */
export type Reattach = (socket: Duplex) => void;

/** The request head without `Upgrade`; Node has already checked every name and value on the way in. */
export function headWithoutUpgrade(req: IncomingMessage): string {
  let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    let value = raw[i + 1];
    if (name === 'upgrade') continue;
    if (name === 'connection') {
      value = value
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t.length > 0 && t.toLowerCase() !== 'upgrade')
        .join(', ');
      if (value === '') continue;
    }
    head += `${raw[i]}: ${value}\r\n`;
  }
  return head + '\r\n';
}

/** Replays `req` as a plain HTTP request on its own connection. */
export function replayAsHttp(req: IncomingMessage, socket: Duplex, head: Buffer, reattach: Reattach): void {
  if (head.length > 0) socket.unshift(head);
  socket.unshift(Buffer.from(headWithoutUpgrade(req), 'latin1'));
  reattach(socket);
}
