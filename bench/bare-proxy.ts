/**
 * The bare undici reverse proxy (run as its own process): a `node:http` server whose handler forwards
 * through one undici Pool with `stream`, piping bodies both ways, dropping hop-by-hop headers (the
 * fixed list and those the Connection header names) and setting X-Forwarded-For/-Proto/-Host, as a
 * correct reverse proxy must. No routing, no config, no logging, no metrics: the floor every Node
 * proxy built on undici pays.
 * Usage: bare-proxy.ts <upstream-port>. Prints `{"port": n}` once it listens.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

const POOL_CONNECTIONS = 128;
const KEEP_ALIVE_TIMEOUT_MS = 120_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

const upstreamPort = Number(process.argv[2]);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write('usage: bare-proxy.ts <upstream-port>\n');
  process.exit(2);
}
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: POOL_CONNECTIONS });

function withoutHopByHop(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connection = headers.connection;
  const named = typeof connection === 'string' && connection !== 'keep-alive' && connection !== 'close' ? connection.toLowerCase().split(',').map((s) => s.trim()) : undefined;
  for (const name in headers) {
    if (!HOP_BY_HOP.has(name) && !named?.includes(name)) out[name] = headers[name];
  }
  return out;
}

function forwarded(req: IncomingMessage): OutgoingHttpHeaders {
  const out = withoutHopByHop(req.headers);
  const prior = req.headers['x-forwarded-for'];
  const peer = req.socket.remoteAddress ?? '';
  out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}` : peer;
  out['x-forwarded-proto'] = 'http';
  if (req.headers.host !== undefined) out['x-forwarded-host'] = req.headers.host;
  return out;
}

const server = createServer((req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.stream(
    {
      path: req.url ?? '/',
      method: req.method as 'GET',
      headers: forwarded(req) as Record<string, string>,
      body: hasBody ? req : null,
    },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, withoutHopByHop(headers));
      return res;
    },
    (err) => {
      if (!err) return;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway\n');
      } else {
        res.destroy(err);
      }
    },
  );
});
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
