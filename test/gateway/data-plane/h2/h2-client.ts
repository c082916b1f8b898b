/** A node:http2 client for the HTTP/2 tests: one request, the whole answer (headers, body, trailers). */
import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type SecureClientSessionOptions } from 'node:http2';

export interface H2Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly trailers: IncomingHttpHeaders;
}

/** Opens a session to `origin` (`http://` is h2c with prior knowledge, `https://` is h2 by ALPN). */
export async function h2Session(origin: string, options: SecureClientSessionOptions = {}): Promise<ClientHttp2Session> {
  const session = connect(origin, options);
  await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
  session.on('error', () => undefined);
  return session;
}

/** One request on `session`. */
export function h2Request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let response: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (response = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status: Number(response[':status']), headers: response, body: Buffer.concat(chunks).toString('utf8'), trailers }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}
