/** The data plane: runtime (config sink and snapshot swap), proxy listener, status, access log, drain. */
export { DataPlane, Generation, NO_PLUGINS, type DataPlaneOptions, type SnapshotCompilation, type ConfigObserver } from './runtime';
export { buildProxyServer, type ClientLimits, type ProxyServerOptions } from './server';
export { drain, type DrainParts, type DrainTiming, type DrainReport } from './shutdown';
export { createAccessLogger, PinoAccessLog } from './access-log';
export { buildStatusServer, GatewayMetrics, type Readiness, type StatusSources } from './status';
export { Tunnels } from './proxy';
export type * from './types';
