/**
 * The demo upstream `npm start` runs next to the gateway: it answers every request with what it
 * received (method, path, query, the headers the gateway forwarded, body size), so the quick start
 * shows the proxy at work. Credentials are never echoed back.
 */
import { createServer, type Server } from 'node:http';

/** Where the example config expects the demo upstream. */
export const DEMO_HOST = '127.0.0.1';
export const DEMO_PORT = 9000;

const HIDDEN = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key', 'apikey']);

/** Builds the echo server (not listening). */
export function buildEchoServer(): Server {
  return createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const headers: Record<string, string | string[] | undefined> = {};
      for (const [name, value] of Object.entries(req.headers)) headers[name] = HIDDEN.has(name) ? '(hidden)' : value;
      const body = JSON.stringify(
        { service: 'gatehouse-demo-echo', method: req.method, path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), headers, bodyBytes: bytes },
        null,
        2,
      );
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}
