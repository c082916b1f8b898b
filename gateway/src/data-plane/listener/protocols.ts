/**
 * The proxy port's protocols: every accepted connection is first classified, then given to one
 * parser, and every request of every protocol ends in the same handler (`ProxyExchange`).
 * - cleartext: the HTTP/2 preface means h2c with prior knowledge, anything else HTTP/1.1;
 * - TLS (when a certificate is configured): ALPN picks `h2` or `http/1.1`.
 * HTTP/2 sessions are created by one node:http2 server that never listens itself; its limits and
 * flood guards come from the settings. The HTTP/1.1 server (the one that listens) stays the owner
 * of the port, so `maxConnections`, `close()` and the drain apply to both: its
 * `closeIdleConnections` also sends GOAWAY to HTTP/2 sessions, `closeAllConnections` closes them.
 */
import { createServer as createH2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { guardSession, type FloodLimits } from './flood-guard';
import { H2Request, H2Response } from './h2-compat';
import { sniffPreface } from './preface';
import { HEALTH_CHECK_PATH } from '../grpc/health';
import { isGrpcContentType } from '../grpc/call';
import { CertificateWatch, loadCertificates, type CertificateFiles } from './tls-certificates';

/** HTTP/2 limits of the proxy listener; from the `h2*` settings. */
export interface H2Limits extends FloodLimits {
  readonly maxConcurrentStreams: number;
  /** Bytes of one request's header list (HPACK-decoded). */
  readonly maxHeaderListSize: number;
  /** Flow-control window per stream, in bytes. */
  readonly initialWindowSize: number;
}

/** Entries one SETTINGS frame may carry (node's default, stated). */
const MAX_SETTINGS_ENTRIES = 32;
/** Pseudo-headers a request carries on top of its fields. */
const PSEUDO_HEADERS = 4;

export interface ProtocolOptions {
  readonly h2: H2Limits;
  /** Certificate files: the port speaks TLS only (ALPN h2, http/1.1); absent, cleartext only. */
  readonly tls?: CertificateFiles;
  /** Time a connection gets to show its protocol (and to finish the TLS handshake). */
  readonly headerTimeoutMs: number;
  /** An HTTP/2 session without any frame for this long is closed gracefully. */
  readonly keepAliveTimeoutMs: number;
  /** Header fields per request; the pipeline answers 431 past it, so nghttp2 allows one more. */
  readonly maxRequestHeaders: number;
  readonly log: Logger;
  readonly onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  readonly onCheckContinue: (req: IncomingMessage, res: ServerResponse) => void;
}

type ConnectionListener = (socket: Duplex) => void;

export class ProtocolFront {
  private readonly h2: Http2Server<typeof IncomingMessage, typeof ServerResponse, typeof H2Request, typeof H2Response>;
  private readonly sessions = new Set<ServerHttp2Session>();
  /** Every accepted connection, whatever became of it (sniffing, TLS handshake, either parser). */
  private readonly sockets = new Set<Socket>();
  private readonly http1Listeners: ConnectionListener[];
  private readonly tls: TlsServer | undefined;
  private readonly certificates: CertificateWatch | undefined;

  constructor(
    private readonly server: Server,
    private readonly options: ProtocolOptions,
  ) {
    const { h2, log } = options;
    this.h2 = createH2Server(
      {
        settings: {
          maxConcurrentStreams: h2.maxConcurrentStreams,
          maxHeaderListSize: h2.maxHeaderListSize,
          initialWindowSize: h2.initialWindowSize,
          enablePush: false,
        },
        maxHeaderListPairs: options.maxRequestHeaders + 1 + PSEUDO_HEADERS,
        maxSettings: MAX_SETTINGS_ENTRIES,
        Http2ServerRequest: H2Request,
        Http2ServerResponse: H2Response,
      },
      (req, res) => this.request(req as H2Request, res as unknown as H2Response, options.onRequest),
    );
    this.h2.on('checkContinue', (req: H2Request, res: H2Response) => this.request(req, res, options.onCheckContinue));
    this.h2.on('session', (session: ServerHttp2Session) => this.track(session));
    this.h2.on('sessionError', (err) => log.debug({ err }, 'http2 session error'));
    this.h2.setTimeout(options.keepAliveTimeoutMs, () => undefined);

    this.http1Listeners = server.listeners('connection') as ConnectionListener[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => this.accept(socket));

    if (options.tls) {
      const tls = (this.tls = new TlsServer({ ...loadCertificates(options.tls), ALPNProtocols: ['h2', 'http/1.1'], handshakeTimeout: options.headerTimeoutMs }));
      tls.on('secureConnection', (socket: TLSSocket) => (socket.alpnProtocol === 'h2' ? this.http2(socket) : this.http1(socket)));
      tls.on('tlsClientError', (err) => log.debug({ err }, 'TLS handshake failed'));
      this.certificates = new CertificateWatch(options.tls, (context) => tls.setSecureContext(context), log);
    }
    this.extendConnectionClosing();
  }

  /** Gives a connection to the HTTP/1.1 parser (also used to re-attach a replayed upgrade request). */
  http1(socket: Duplex): void {
    for (const l of this.http1Listeners) l.call(this.server, socket);
  }

  /** Reads the certificate files again now (they are also polled). */
  reloadCertificates(): boolean {
    return this.certificates?.reload() ?? false;
  }

  /** HTTP/2 sessions open now. */
  get openSessions(): number {
    return this.sessions.size;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.tls) return void this.tls.emit('connection', socket);
    sniffPreface(socket, this.options.headerTimeoutMs, (h2) => (h2 ? this.http2(socket) : this.http1(socket)));
  }

  private http2(socket: Duplex): void {
    this.h2.emit('connection', socket);
  }

  private request(req: H2Request, res: H2Response, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    if (isGrpcContentType(req.headers['content-type'])) {
      res.grpc = true;
      res.grpcHealthCheck = req.url === HEALTH_CHECK_PATH;
    }
    handler(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  }

  private track(session: ServerHttp2Session): void {
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
    session.on('error', (err) => this.options.log.debug({ err }, 'http2 session error'));
    session.on('timeout', () => session.close());
    guardSession(session, this.options.h2, (kind) => {
      this.options.log.warn({ kind, client: session.socket?.remoteAddress }, 'http2 flood: session closed');
    });
  }

  /** The drain and `close()` reach HTTP/2 sessions through the listening server's own calls. */
  private extendConnectionClosing(): void {
    const { server, sessions } = this;
    const closeIdle = server.closeIdleConnections.bind(server);
    const closeAll = server.closeAllConnections.bind(server);
    server.closeIdleConnections = () => {
      closeIdle();
      for (const s of sessions) if (!s.closed) s.close();
    };
    server.closeAllConnections = () => {
      closeAll();
      for (const s of sessions) s.destroy();
      for (const socket of this.sockets) socket.destroy();
    };
    server.once('close', () => {
      this.certificates?.close();
    });
  }
}
