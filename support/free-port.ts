/** Free loopback ports, for processes (gateway, Postgres, Redis, nginx) that must be told their port; shared by tests and bench. */
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago, for servers that must be told their port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
