/** The plugins Gatehouse ships, one per file. */
import { basicAuth } from './basic-auth';
import { cors } from './cors';
import { ipRestriction } from './ip-restriction';
import { jwtAuth } from './jwt-auth';
import { keyAuth } from './key-auth';
import { proxyRewrite } from './proxy-rewrite';
import { rateLimit } from './rate-limit';
import type { AnyPlugin } from './registry';
import { requestHeaders } from './request-headers';
import { requestSizeLimit } from './request-size-limit';
import { responseHeaders } from './response-headers';
import { trafficSplit } from './traffic-split';

export const BUILTIN_PLUGINS: readonly AnyPlugin[] = [
  cors,
  ipRestriction,
  requestSizeLimit,
  basicAuth,
  jwtAuth,
  keyAuth,
  proxyRewrite,
  rateLimit,
  trafficSplit,
  requestHeaders,
  responseHeaders,
];
