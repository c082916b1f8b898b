/**
 * The response object of an upgrade request. Node hands upgrade requests over as a bare socket; this
 * puts an ordinary `ServerResponse` on it, so every answer (errors, plugin answers, an upstream's
 * non-101 response) is written by the same code as for plain requests. When it has been sent the
 * socket goes back to the HTTP server with the bytes the client sent after its request, so the
 * connection stays parsed HTTP. Only a `101` from the upstream takes the socket away (`takeSocket`).
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Reattach } from './replay';

export class UpgradeResponse extends ServerResponse {
  private taken = false;

  constructor(
    req: IncomingMessage,
    private readonly clientSocket: Duplex,
    private readonly head: Buffer,
    private readonly reattach: Reattach,
  ) {
    super(req);
    const connection = req.headers.connection?.toLowerCase() ?? '';
    this.shouldKeepAlive = req.httpVersion === '1.1' && !/(^|,)\s*close\s*(,|$)/.test(connection);
    this.assignSocket(clientSocket as never);
    this.once('finish', () => this.release());
  }

  /** The client socket and the bytes after the handshake, for a tunnel; the response is done with it. */
  takeSocket(): { socket: Duplex; head: Buffer } {
    this.taken = true;
    this.detachSocket(this.clientSocket as never);
    return { socket: this.clientSocket, head: this.head };
  }

  private release(): void {
    if (this.taken) return;
    const socket = this.clientSocket;
    this.detachSocket(socket as never);
    const closing = !this.shouldKeepAlive || String(this.getHeader('connection') ?? '').toLowerCase() === 'close';
    if (closing || socket.destroyed) socket.end();
    else {
      if (this.head.length > 0) socket.unshift(this.head);
      this.reattach(socket);
    }
    process.nextTick(() => this.emit('close'));
  }
}
