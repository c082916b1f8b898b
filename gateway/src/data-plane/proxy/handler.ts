/** The proxy listener's request handlers, over the raw Node request and response. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyExchange, type ProxyDeps } from './exchange';

export interface ProxyHandlers {
  /** The server's `request` listener. */
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  /** The server's `checkContinue` listener: `100 Continue` is sent only once the request is routed. */
  onCheckContinue(req: IncomingMessage, res: ServerResponse): void;
}

export function createProxyHandlers(deps: ProxyDeps): ProxyHandlers {
  return {
    onRequest(req, res) {
      new ProxyExchange(deps, req, res).run();
    },
    onCheckContinue(req, res) {
      const exchange = new ProxyExchange(deps, req, res);
      exchange.expectContinue = true;
      exchange.run();
    },
  };
}
