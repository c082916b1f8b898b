/**
 * A WebSocket tunnel: once the upstream has answered `101 Switching Protocols` with the protocol the
 * client asked for, both sockets are piped and the bytes are no longer HTTP. Nothing else in the
 * gateway ever pipes raw bytes, so this is the only place a connection stops being parsed.
 */
import type { Duplex } from 'node:stream';
import { VIA } from './headers';

/** Open tunnels, so that shutdown can close what is left after the drain. */
export class Tunnels {
  private readonly open = new Set<Duplex>();

  add(socket: Duplex): void {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
  }

  get size(): number {
    return this.open.size;
  }

  /** Ends every tunnel (both sides close). */
  closeAll(): void {
    for (const s of this.open) s.destroy();
  }
}

/** Response headers of a 101 that are never relayed: they describe the upstream hop. */
const DROPPED = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'via', 'x-request-id']);

/** The value of `name` in a raw header list (lower-case comparison), or undefined. */
export function rawHeader(raw: readonly (Buffer | string)[] | null, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toString().toLowerCase() === name) return raw[i + 1].toString();
  return undefined;
}

/** The `101` head relayed to the client: the upstream's end-to-end headers plus ours. */
export function switchingProtocolsHead(raw: readonly (Buffer | string)[] | null, protocol: string, requestId: string, extra: Readonly<Record<string, string>>): string {
  let head = `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${protocol}\r\n`;
  let via: string | undefined;
  if (raw) {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toString().toLowerCase();
      const value = raw[i + 1].toString();
      if (name === 'via') via = via === undefined ? value : `${via}, ${value}`;
      if (DROPPED.has(name) || name in extra) continue;
      head += `${name}: ${value}\r\n`;
    }
  }
  for (const [name, value] of Object.entries(extra)) head += `${name}: ${value}\r\n`;
  return head + `via: ${via === undefined ? VIA : `${via}, ${VIA}`}\r\nx-request-id: ${requestId}\r\n\r\n`;
}

/**
 * Pipes `client` and `upstream` both ways; `head` (bytes the client sent after its handshake) goes
 * first. Either side closing, erring or staying silent for `idleMs` closes both.
 */
export function openTunnel(tunnels: Tunnels, client: Duplex, upstream: Duplex, head: Buffer, idleMs: number): void {
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  for (const side of [client, upstream]) {
    side.on('error', close);
    side.on('close', close);
    (side as Duplex & { setTimeout?(ms: number, cb: () => void): void }).setTimeout?.(idleMs, close);
  }
  tunnels.add(client);
  if (head.length > 0) upstream.write(head);
  upstream.pipe(client);
  client.pipe(upstream);
}
