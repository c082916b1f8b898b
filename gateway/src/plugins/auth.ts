/**
 * What every auth plugin shares: how a consumer is admitted (identity headers for the upstream)
 * and how a failure is answered (generic 401/403 to the client, the detail to the log).
 */
import type { ConsumerConfig } from '../config/schema';
import { CONSUMER_ID_HEADER, CONSUMER_USERNAME_HEADER, CREDENTIAL_HEADER } from './contract';
import type { PluginAnswer, PluginLogger, RequestContext } from './contract';

/** Marks the request as made by `consumer` and tells the upstream who it is. */
export function admitConsumer(ctx: RequestContext, consumer: ConsumerConfig, credential?: string): void {
  ctx.consumer = consumer;
  ctx.headers[CONSUMER_ID_HEADER] = consumer.id;
  ctx.headers[CONSUMER_USERNAME_HEADER] = consumer.username ?? consumer.id;
  if (credential !== undefined) ctx.headers[CREDENTIAL_HEADER] = credential;
}

/** A generic 401; `reason` (never shown to the client) goes to the log. */
export function unauthorized(
  logger: PluginLogger | undefined,
  ctx: RequestContext,
  plugin: string,
  reason: string,
  headers?: Record<string, string>,
): PluginAnswer {
  logger?.info({ plugin, requestId: ctx.requestId, route: ctx.route.id, reason }, 'authentication failed');
  return headers ? { status: 401, error: 'GW_ERR_UNAUTHORIZED', headers } : UNAUTHORIZED;
}

/** A generic 403; `reason` goes to the log. */
export function forbidden(logger: PluginLogger | undefined, ctx: RequestContext, plugin: string, reason: string): PluginAnswer {
  logger?.info({ plugin, requestId: ctx.requestId, route: ctx.route.id, reason }, 'access denied');
  return FORBIDDEN;
}

const UNAUTHORIZED: PluginAnswer = Object.freeze({ status: 401, error: 'GW_ERR_UNAUTHORIZED' });
const FORBIDDEN: PluginAnswer = Object.freeze({ status: 403, error: 'GW_ERR_FORBIDDEN' });

/** The value of one query parameter in a raw query string, or undefined. */
export function queryParam(query: string, name: string): string | undefined {
  if (!query) return undefined;
  const value = new URLSearchParams(query).get(name);
  return value === null ? undefined : value;
}

/** The query string without every `name` parameter; the other parameters keep their exact encoding. */
export function withoutQueryParam(query: string, name: string): string {
  return query
    .split('&')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      const raw = eq < 0 ? pair : pair.slice(0, eq);
      try {
        return decodeURIComponent(raw.replace(/\+/g, ' ')) !== name;
      } catch {
        return true;
      }
    })
    .join('&');
}

/** A single header value (the first when repeated). */
export function headerValue(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Finds, once per config document, the consumers that share a credential with an earlier one.
 * `credentialOf` returns the normalised credential of a consumer (or undefined when it has none).
 */
export function duplicateCredentials(
  cache: WeakMap<object, Map<number, number>>,
  consumers: readonly ConsumerConfig[],
  credentialOf: (c: ConsumerConfig) => string | undefined,
): Map<number, number> {
  let dups = cache.get(consumers);
  if (dups) return dups;
  dups = new Map();
  const first = new Map<string, number>();
  consumers.forEach((c, i) => {
    const cred = credentialOf(c);
    if (cred === undefined) return;
    const prev = first.get(cred);
    if (prev === undefined) first.set(cred, i);
    else dups!.set(i, prev);
  });
  cache.set(consumers, dups);
  return dups;
}

/** The index of the consumer a consumer-slot path points at (`/consumers/7/plugins/x` → 7). */
export function consumerIndex(path: string): number | undefined {
  const m = /^\/consumers\/(\d+)\//.exec(path);
  return m ? Number(m[1]) : undefined;
}
