/**
 * cors: answers preflight requests at the gateway (they never reach the upstream, and run before
 * auth since browsers send them without credentials) and adds the CORS headers to actual responses.
 */
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName } from '../config/http-fields';
import { regexProblem, validatedRegex, type ConfigRegex } from '../config/regex';
import type { Problem } from '../core/errors';
import type { GatewayPlugin, PluginAnswer, RequestContext } from './contract';

/** Methods and header names are both RFC 9110 tokens. */
const Token = HeaderName();

export const CorsSchema = Type.Object(
  {
    allowOrigins: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
      minItems: 1,
      default: ['*'],
      description: '"*", exact origins ("https://app.example.com") or regular expressions starting with "~"',
    }),
    allowMethods: Type.Array(Token, { minItems: 1, default: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], description: 'methods allowed cross-origin' }),
    allowHeaders: Type.Array(Token, { default: [], description: 'request headers allowed; empty: whatever the preflight asks for' }),
    exposeHeaders: Type.Array(Token, { default: [], description: 'response headers the browser may read' }),
    allowCredentials: Type.Boolean({ default: false, description: 'allow cookies and Authorization (needs explicit origins)' }),
    maxAgeSec: Type.Integer({ minimum: 0, maximum: 86_400, default: 600, description: 'how long browsers may cache a preflight' }),
  },
  { additionalProperties: false },
);

export type CorsConfig = Static<typeof CorsSchema>;

interface PreparedCors {
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly patterns: readonly ConfigRegex[];
  readonly credentials: boolean;
  readonly preflight: Record<string, string>;
  readonly reflectHeaders: boolean;
  readonly expose?: string;
}

function allowedOrigin(conf: PreparedCors, origin: string): boolean {
  return conf.any || conf.exact.has(origin) || conf.patterns.some((p) => p.test(origin));
}

const NO_CONTENT_EMPTY: PluginAnswer = Object.freeze({ status: 204, body: '' });

export const cors: GatewayPlugin<CorsConfig, PreparedCors> = {
  name: 'cors',
  priority: 4000,
  schema: CorsSchema,

  check(conf, { path }) {
    const problems: Problem[] = [];
    conf.allowOrigins.forEach((o, i) => {
      const bad = o.startsWith('~') ? regexProblem(o.slice(1), `${path}/allowOrigins/${i}`) : undefined;
      if (bad) problems.push(bad);
    });
    if (conf.allowCredentials && conf.allowOrigins.includes('*'))
      problems.push({
        path: `${path}/allowCredentials`,
        message: 'allowCredentials cannot be used with the "*" origin (browsers refuse it).',
        fix: 'list the allowed origins explicitly, or set allowCredentials to false.',
      });
    return problems;
  },

  prepare(conf) {
    const preflight: Record<string, string> = {
      'access-control-allow-methods': conf.allowMethods.join(', '),
      'access-control-max-age': String(conf.maxAgeSec),
    };
    if (conf.allowHeaders.length) preflight['access-control-allow-headers'] = conf.allowHeaders.join(', ');
    return {
      any: conf.allowOrigins.includes('*'),
      exact: new Set(conf.allowOrigins.filter((o) => o !== '*' && !o.startsWith('~'))),
      patterns: conf.allowOrigins.filter((o) => o.startsWith('~')).map((o) => validatedRegex(o.slice(1))),
      credentials: conf.allowCredentials,
      preflight,
      reflectHeaders: conf.allowHeaders.length === 0,
      expose: conf.exposeHeaders.length ? conf.exposeHeaders.join(', ') : undefined,
    };
  },

  rewrite(ctx: RequestContext, conf) {
    const origin = ctx.headers.origin;
    if (typeof origin !== 'string') return undefined;
    const allowed = allowedOrigin(conf, origin);
    const requestedMethod = ctx.headers['access-control-request-method'];
    if (ctx.method === 'OPTIONS' && requestedMethod !== undefined) {
      // A refused preflight gets no CORS headers: the browser then blocks the actual request.
      if (!allowed) return NO_CONTENT_EMPTY;
      const headers: Record<string, string> = { ...conf.preflight, vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
      headers['access-control-allow-origin'] = conf.any && !conf.credentials ? '*' : origin;
      if (conf.credentials) headers['access-control-allow-credentials'] = 'true';
      const asked = ctx.headers['access-control-request-headers'];
      if (conf.reflectHeaders && typeof asked === 'string' && asked) headers['access-control-allow-headers'] = asked;
      return { status: 204, body: '', headers };
    }
    if (!allowed) return undefined;
    const out = ctx.responseHeaders;
    out['access-control-allow-origin'] = conf.any && !conf.credentials ? '*' : origin;
    if (!conf.any) out.vary = 'Origin';
    if (conf.credentials) out['access-control-allow-credentials'] = 'true';
    if (conf.expose) out['access-control-expose-headers'] = conf.expose;
    return undefined;
  },
};
