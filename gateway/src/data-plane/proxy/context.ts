/** The `RequestContext` plugins read and change; built only for routes that have plugins. */
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteConfig, ConsumerConfig } from '../../config/schema';
import { clientAddress, type TrustedProxies } from '../../core/client-address';
import type { ConsumerIndex, RequestContext } from '../../plugins/contract';

export class ProxyRequestContext implements RequestContext {
  upstreamHost?: string;
  upstreamOverride?: string;
  consumer?: ConsumerConfig;
  maxBodyBytes?: number;
  readonly responseHeaders: Record<string, string> = {};
  readonly vars = new Map<string, unknown>();
  /** As received (plus the peer), before a plugin could change the headers; read only if `clientAddress` is. */
  private readonly forwardedFor: string | string[] | undefined;
  private resolvedClient: string | undefined;

  constructor(
    readonly requestId: string,
    readonly method: string,
    readonly path: string,
    public query: string,
    readonly headers: IncomingHttpHeaders,
    readonly remoteAddress: string,
    readonly route: RouteConfig,
    readonly params: Readonly<Record<string, string>>,
    public upstreamPath: string,
    readonly consumerIndex: ConsumerIndex,
    private readonly trustedProxies?: TrustedProxies,
  ) {
    this.forwardedFor = headers['x-forwarded-for'];
  }

  get clientAddress(): string {
    return (this.resolvedClient ??= clientAddress(this.remoteAddress, this.forwardedFor, this.trustedProxies));
  }

  /** The query to forward: `original` (with its `?`) unless a plugin changed `query`. */
  forwardQuery(original: string): string {
    if (this.query === original.slice(1)) return original;
    return this.query ? `?${this.query}` : '';
  }
}
