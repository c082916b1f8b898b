/** Config documents for tests. */
import type { GatewayConfig } from '../../../gateway/src/config';

/** A document with `n` routes to one upstream at `host:port`. */
export function documentWithRoutes(n: number, port = 9, host = '127.0.0.1', prefix = 'r'): GatewayConfig {
  return {
    upstreams: [{ id: 'backend', targets: [{ host, port }] }],
    routes: Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, paths: [`/${prefix}${i}`], upstream: 'backend' })),
    consumers: [],
    plugins: {},
  } as unknown as GatewayConfig;
}
