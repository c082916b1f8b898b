/** response-headers: adds, sets and removes headers of the upstream response sent to the client. */
import { applyTransform, HeaderTransformSchema, HOP_BY_HOP, prepareTransform, reservedProblems, type HeaderTransform, type HeaderTransformConfig } from './header-transform';
import type { GatewayPlugin } from './contract';

export const ResponseHeadersSchema = HeaderTransformSchema;

export const responseHeaders: GatewayPlugin<HeaderTransformConfig, HeaderTransform> = {
  name: 'response-headers',
  priority: 500,
  schema: ResponseHeadersSchema,
  check: (conf, { path }) => reservedProblems(conf, path, HOP_BY_HOP),
  prepare: (conf) => prepareTransform(conf),
  responseHeaders(_ctx, t, _status, headers) {
    applyTransform(t, headers, true);
  },
};
