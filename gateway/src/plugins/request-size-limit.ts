/**
 * request-size-limit: refuses bodies larger than `maxBytes` with 413. A declared Content-Length is
 * checked at once; a streamed (chunked) body is capped by the proxy through `ctx.maxBodyBytes`.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { GatewayPlugin, PluginAnswer } from './contract';

export const RequestSizeLimitSchema = Type.Object(
  { maxBytes: Type.Integer({ minimum: 0, maximum: 107_374_182_400, description: 'largest request body accepted, in bytes' }) },
  { additionalProperties: false },
);

export type RequestSizeLimitConfig = Static<typeof RequestSizeLimitSchema>;

const TOO_LARGE: PluginAnswer = Object.freeze({ status: 413, error: 'GW_ERR_PAYLOAD_TOO_LARGE', headers: { connection: 'close' } });

export const requestSizeLimit: GatewayPlugin<RequestSizeLimitConfig> = {
  name: 'request-size-limit',
  priority: 2900,
  schema: RequestSizeLimitSchema,

  rewrite(ctx, conf) {
    const declared = ctx.headers['content-length'];
    if (declared !== undefined && Number(declared) > conf.maxBytes) return TOO_LARGE;
    if (ctx.maxBodyBytes === undefined || ctx.maxBodyBytes > conf.maxBytes) ctx.maxBodyBytes = conf.maxBytes;
    return undefined;
  },
};
