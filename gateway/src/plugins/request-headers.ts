/**
 * request-headers: adds, sets and removes headers sent to the upstream. Runs after auth and
 * rate-limit (priority 500), so it may remove credentials the auth plugins have already read.
 */
import { applyTransform, HeaderTransformSchema, HOP_BY_HOP, prepareTransform, reservedProblems, type HeaderTransform, type HeaderTransformConfig } from './header-transform';
import type { GatewayPlugin } from './contract';

export const RequestHeadersSchema = HeaderTransformSchema;

export const requestHeaders: GatewayPlugin<HeaderTransformConfig, HeaderTransform> = {
  name: 'request-headers',
  priority: 500,
  schema: RequestHeadersSchema,
  check: (conf, { path }) => reservedProblems(conf, path, [...HOP_BY_HOP, 'host']),
  prepare: (conf) => prepareTransform(conf),
  access(ctx, t) {
    applyTransform(t, ctx.headers, false);
    return undefined;
  },
};
