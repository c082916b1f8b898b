/** Request handling: forwarding, header rules, upgrades and error answers. */
export { createProxyHandlers, type ProxyHandlers } from './handler';
export { ProxyExchange, CLIENT_CLOSED_STATUS, type ProxyDeps } from './exchange';
export { createUpgradeHandler } from './upgrade';
export { Tunnels } from './tunnel';
export { HOP_BY_HOP_HEADERS } from './hop-by-hop';
export { VIA } from './headers';
export { requestIdFor, MAX_REQUEST_ID_LENGTH } from './request-id';
export type { AccessLog, AccessRecord, RequestMetrics } from './ports';
