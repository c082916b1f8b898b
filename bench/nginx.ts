/**
 * nginx as a reference reverse proxy and as a fast upstream (a fixed 12-byte answer, so a proxy in
 * front of it is measured by its own CPU, not by a Node upstream sharing the cores), when installed: one process (`master_process off`, so the
 * bench's child is the only nginx process and nothing outlives it), in the foreground (`daemon off`),
 * with a generated config in a temporary prefix, keep-alive connections to the upstream and no logs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnChild, waitForStatus, type BenchChild } from './children';

const UPSTREAM_KEEPALIVE_CONNECTIONS = 128;

/** The nginx binary on PATH, or undefined when nginx is not installed. */
export function findNginx(): string | undefined {
  for (const candidate of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** The `server { ... }` block: a reverse proxy to `upstreamPort`, or (undefined) the 12-byte answer. */
function serverBlock(listenPort: number, upstreamPort: number | undefined): string {
  if (upstreamPort === undefined)
    return `server {
    listen 127.0.0.1:${listenPort};
    location / {
      default_type text/plain;
      return 200 "hello world\\n";
    }
  }`;
  return `upstream bench_upstream {
    server 127.0.0.1:${upstreamPort};
    keepalive ${UPSTREAM_KEEPALIVE_CONNECTIONS};
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
      proxy_buffering off;
      client_max_body_size 0;
    }
  }`;
}

function nginxConfig(prefix: string, listenPort: number, upstreamPort: number | undefined): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'client_body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  ${serverBlock(listenPort, upstreamPort)}
}
`;
}

/** A started nginx; `stop()` kills it and removes its temporary prefix. */
export interface NginxProxy {
  readonly child: BenchChild;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts nginx in front of the upstream (or, without one, answering 12 bytes itself); undefined when nginx is not installed. */
export async function startNginx(upstreamPort?: number): Promise<NginxProxy | undefined> {
  const binary = findNginx();
  if (!binary) return undefined;
  const prefix = mkdtempSync(join(tmpdir(), 'gatehouse-bench-nginx-'));
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig(prefix, port, upstreamPort));
  const child = spawnChild('nginx', binary, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')]);
  const stop = async (): Promise<void> => {
    await child.stop('SIGTERM');
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    await waitForStatus(`http://127.0.0.1:${port}/`, 200, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, port, stop };
}
