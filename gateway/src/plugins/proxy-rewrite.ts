/**
 * proxy-rewrite: changes what is sent upstream: the path (a fixed `uri`, or a regular expression
 * with `$1`-style replacement applied to the path the route would forward) and the Host header.
 */
import { Type, type Static } from '@sinclair/typebox';
import { regexProblem, validatedRegex, type ConfigRegex } from '../config/regex';
import type { Problem } from '../core/errors';
import type { GatewayPlugin } from './contract';

export const ProxyRewriteSchema = Type.Object(
  {
    uri: Type.Optional(Type.String({ pattern: '^/', maxLength: 2048, description: 'path sent upstream instead' })),
    regex: Type.Optional(
      Type.Object(
        {
          pattern: Type.String({ minLength: 1, maxLength: 1024, description: 'regular expression matched against the forwarded path' }),
          replacement: Type.String({ maxLength: 2048, description: 'replacement; $1, $2… are the groups' }),
        },
        { additionalProperties: false, description: 'regular-expression rewrite of the forwarded path' },
      ),
    ),
    host: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$', maxLength: 260, description: 'Host header sent upstream' })),
  },
  { additionalProperties: false },
);

export type ProxyRewriteConfig = Static<typeof ProxyRewriteSchema>;

interface PreparedProxyRewrite {
  readonly uri?: string;
  readonly regex?: ConfigRegex;
  readonly replacement: string;
  readonly host?: string;
}

export const proxyRewrite: GatewayPlugin<ProxyRewriteConfig, PreparedProxyRewrite> = {
  name: 'proxy-rewrite',
  priority: 1008,
  schema: ProxyRewriteSchema,

  check(conf, { path }) {
    const problems: Problem[] = [];
    if (conf.uri !== undefined && conf.regex !== undefined)
      problems.push({ path, message: 'uri and regex are both given.', fix: 'keep one of uri and regex.' });
    if (conf.uri === undefined && conf.regex === undefined && conf.host === undefined)
      problems.push({ path, message: 'nothing to rewrite.', fix: 'give uri, regex or host.' });
    const bad = conf.regex && regexProblem(conf.regex.pattern, `${path}/regex/pattern`);
    if (bad) problems.push(bad);
    return problems;
  },

  prepare: (conf) => ({
    uri: conf.uri,
    regex: conf.regex ? validatedRegex(conf.regex.pattern) : undefined,
    replacement: conf.regex?.replacement ?? '',
    host: conf.host,
  }),

  rewrite(ctx, conf) {
    if (conf.uri !== undefined) ctx.upstreamPath = conf.uri;
    else if (conf.regex) {
      const rewritten = conf.regex.replaceFirst(ctx.upstreamPath, conf.replacement);
      ctx.upstreamPath = rewritten.startsWith('/') ? rewritten : '/' + rewritten;
    }
    if (conf.host !== undefined) ctx.upstreamHost = conf.host;
    return undefined;
  },
};
