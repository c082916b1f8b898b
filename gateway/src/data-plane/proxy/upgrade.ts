/**
 * The server's `upgrade` listener. An upgrade request goes through the same pipeline as any other
 * (`ProxyExchange`: routing, path normalisation, plugins, forwarded and identity headers, drain
 * accounting, access log). Only a WebSocket handshake without a body, on a route with
 * `websocket: true`, is sent upstream as an upgrade, and only a `101` naming `websocket` turns the
 * connection into a tunnel. Everything else is an ordinary request whose `Upgrade` header is dropped.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ProxyExchange, type ProxyDeps } from './exchange';
import { replayAsHttp, type Reattach } from './replay';
import type { Tunnels } from './tunnel';
import { UpgradeResponse } from './upgrade-response';

/** A GET asking for `Upgrade: websocket` with no body: the only request that may become a tunnel. */
export function isWebSocketHandshake(req: IncomingMessage): boolean {
  const h = req.headers;
  return (
    req.method === 'GET' &&
    h.upgrade?.toLowerCase() === 'websocket' &&
    h['transfer-encoding'] === undefined &&
    (h['content-length'] === undefined || h['content-length'] === '0')
  );
}

export function createUpgradeHandler(deps: ProxyDeps, tunnels: Tunnels, reattach: Reattach): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', (err) => deps.log.debug({ err }, 'upgrade: client socket error'));
    if (!isWebSocketHandshake(req)) return replayAsHttp(req, socket, head, reattach);
    const res = new UpgradeResponse(req, socket, head, reattach);
    new ProxyExchange(deps, req, res, { response: res, tunnels }).run();
  };
}
