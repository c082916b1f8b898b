/**
 * A fleet for rate-limit tests: `nodes` file-driven gateway processes sharing one test-started
 * Redis, in front of one upstream that answers "ok", each with a small keep-alive pool to it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { startGateway, type RunningGateway } from '../../../support/gateway-process';
import { ThrowawayRedis, uniquePrefix } from './redis';

export interface RateLimitFleet {
  readonly redis: ThrowawayRedis;
  readonly gateways: RunningGateway[];
  /** One pool per gateway, in the same order. */
  readonly pools: Pool[];
  close(): Promise<void>;
}

/** Starts the fleet; `routes` point at upstream `u`; `env` goes on top of the shared Redis settings. */
export async function startRateLimitFleet(nodes: number, routes: object[], env: Record<string, string>): Promise<RateLimitFleet> {
  const redis = await ThrowawayRedis.start();
  const upstream: Server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const config = { upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: (upstream.address() as AddressInfo).port }] }], routes };
  const shared = { REDIS_URL: redis.url, GATEHOUSE_REDIS_PREFIX: uniquePrefix(), GATEHOUSE_RATE_LIMIT_NODES: String(nodes), ...env };
  const gateways = await Promise.all(Array.from({ length: nodes }, () => startGateway({ config, env: shared, readyTimeoutMs: 90_000 })));
  const pools = gateways.map((g) => new Pool(g.origin, { connections: 4 }));
  return {
    redis,
    gateways,
    pools,
    async close() {
      await Promise.all(pools.map((p) => p.close()));
      await Promise.all(gateways.map((g) => g.stop()));
      await new Promise((resolve) => upstream.close(resolve));
      await redis.stop();
    },
  };
}
