/** Test harness for plugins: validated configs, chains built by the real registry, fake request contexts. */
import type { IncomingHttpHeaders } from 'node:http';
import { validateConfig, type GatewayConfig } from '../../../gateway/src/config';
import type { Problem } from '../../../gateway/src/core/errors';
import { runThrough } from '../../../gateway/src/core/slices';
import { type ConsumerIndex, type PluginChain } from '../../../gateway/src/plugins/contract';
import { createPluginRegistry, type PluginServices, type PluginAnswer, type RequestContext } from '../../../gateway/src/plugins';
import type { PluginLogger } from '../../../gateway/src/plugins/contract';

export const UPSTREAMS = [
  { id: 'main', targets: [{ host: '127.0.0.1', port: 9 }] },
  { id: 'canary', targets: [{ host: '127.0.0.1', port: 10 }] },
];

/** A config document with one route `r1` carrying `plugins`. */
export function documentWith(plugins: Record<string, unknown>, extra: { consumers?: unknown[]; global?: Record<string, unknown> } = {}): unknown {
  return {
    upstreams: UPSTREAMS,
    routes: [{ id: 'r1', paths: ['/api/*'], upstream: 'main', plugins }],
    consumers: extra.consumers ?? [],
    plugins: extra.global ?? {},
  };
}

/** Validates with the real checker; returns the problems (empty when valid) and the config. */
export function check(document: unknown, services: PluginServices = {}): { problems: Problem[]; config?: GatewayConfig } {
  const registry = createPluginRegistry(services);
  const result = validateConfig(document, registry.checker);
  return result.ok ? { problems: [], config: result.value } : { problems: result.problems };
}

/** The defaults-filled config of the route's `name` plugin. */
export function filled(name: string, conf: unknown, extra?: Parameters<typeof documentWith>[1]): unknown {
  const { problems, config } = check(documentWith({ [name]: conf }, extra));
  if (!config) throw new Error(`expected a valid config, got ${JSON.stringify(problems)}`);
  return config.routes[0]!.plugins![name];
}

/** Records log lines, so tests can see the detail behind a generic 401/403. */
export class MemoryLogger implements PluginLogger {
  readonly lines: { level: string; obj: object; msg?: string }[] = [];
  debug = (obj: object, msg?: string) => void this.lines.push({ level: 'debug', obj, msg });
  info = (obj: object, msg?: string) => void this.lines.push({ level: 'info', obj, msg });
  warn = (obj: object, msg?: string) => void this.lines.push({ level: 'warn', obj, msg });
  error = (obj: object, msg?: string) => void this.lines.push({ level: 'error', obj, msg });
}

/** Validates `document` and builds the chain of its first route. */
export function chainFor(document: unknown, services: PluginServices = {}): { chain: PluginChain; config: GatewayConfig } {
  const registry = createPluginRegistry(services);
  const result = validateConfig(document, registry.checker);
  if (!result.ok) throw new Error(`invalid config: ${JSON.stringify(result.problems)}`);
  return { chain: registry.factory.forRoute(result.value.routes[0]!, result.value), config: result.value };
}

export interface FakeRequest {
  method?: string;
  path?: string;
  query?: string;
  headers?: IncomingHttpHeaders;
  remoteAddress?: string;
  /** The resolved client address; defaults to `remoteAddress`. */
  clientAddress?: string;
}

const indexes = new WeakMap<object, ConsumerIndex>();
/** The consumer index of a document, one per document as a snapshot has it. */
export function consumerIndexOf(config: GatewayConfig): ConsumerIndex {
  let index = indexes.get(config.consumers);
  if (!index) indexes.set(config.consumers, (index = runThrough(createPluginRegistry().factory.consumerIndex!(config.consumers))));
  return index;
}

/** A request context as the data plane builds it. */
export function fakeContext(config: GatewayConfig, req: FakeRequest = {}): RequestContext {
  const path = req.path ?? '/api/items';
  return {
    requestId: 'req-1',
    method: req.method ?? 'GET',
    path,
    query: req.query ?? '',
    headers: { ...(req.headers ?? {}) },
    remoteAddress: req.remoteAddress ?? '127.0.0.1',
    clientAddress: req.clientAddress ?? req.remoteAddress ?? '127.0.0.1',
    route: config.routes[0]!,
    params: {},
    upstreamPath: path,
    responseHeaders: {},
    vars: new Map(),
    consumerIndex: consumerIndexOf(config),
  };
}

/** Runs rewrite then access, as the proxy does; returns the answer, if a plugin gave one. */
export async function decide(chain: PluginChain, ctx: RequestContext): Promise<PluginAnswer | undefined> {
  return (await chain.rewrite(ctx)) ?? (await chain.access(ctx)) ?? undefined;
}
