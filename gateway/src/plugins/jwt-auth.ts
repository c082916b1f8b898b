/**
 * jwt-auth: a signed JWT (HS256 with a consumer's secret; RS256/ES256 with a consumer's public key
 * or a JWKS URL) identifies the consumer whose `subject` equals the token's `consumerClaim`.
 * exp/nbf are checked with a clock skew allowance; iss/aud when configured.
 */
import { createPublicKey } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { createDecoder, createVerifier } from 'fast-jwt';
import { HeaderName } from '../config/http-fields';
import type { ConsumerConfig } from '../config/schema';
import { Secret } from '../config/secrets';
import { admitConsumer, consumerIndex, duplicateCredentials, headerValue, queryParam, unauthorized, withoutQueryParam } from './auth';
import { cookieValue, withoutCookie } from './cookies';
import { CREDENTIAL_HEADER } from './contract';
import { jwksKeySet, type JwkEntry, type JwksKeySet } from './jwks';
import type { GatewayPlugin, PluginAnswer, PluginLogger, RequestContext } from './contract';

type Alg = 'HS256' | 'RS256' | 'ES256';
const ALGS: Alg[] = ['HS256', 'RS256', 'ES256'];

export const JwtAuthSchema = Type.Object(
  {
    header: HeaderName({ default: 'authorization', description: 'header carrying "Bearer <token>"' }),
    query: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'query parameter also accepted' })),
    cookie: Type.Optional(HeaderName({ description: 'cookie also accepted' })),
    algorithms: Type.Array(Type.Union(ALGS.map((a) => Type.Literal(a))), { minItems: 1, uniqueItems: true, default: ALGS, description: 'accepted signature algorithms' }),
    issuer: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'accepted iss values' })),
    audience: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'accepted aud values (one must match)' })),
    clockSkewSec: Type.Integer({ minimum: 0, maximum: 300, default: 30, description: 'allowance on exp and nbf' }),
    requireExpiry: Type.Boolean({ default: true, description: 'reject tokens without exp' }),
    consumerClaim: Type.String({ minLength: 1, maxLength: 64, default: 'sub', description: "claim matched against a consumer's subject" }),
    requireConsumer: Type.Boolean({ default: true, description: 'false: a valid JWKS-signed token without a matching consumer is admitted anonymously' }),
    jwksUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2048, description: 'JSON Web Key Set for RS256/ES256 tokens with a kid' })),
    jwksCacheTtlMs: Type.Integer({ minimum: 1_000, maximum: 86_400_000, default: 600_000, description: 'JWKS refreshed after this' }),
    jwksMinRefetchMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30_000, description: 'least time between fetches caused by unknown kids' }),
    jwksTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 2_000, description: 'JWKS fetch timeout' }),
    hideCredentials: Type.Boolean({ default: false, description: 'remove the token (header, query parameter and cookie) before forwarding' }),
  },
  { additionalProperties: false },
);

export const JwtAuthConsumerSchema = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 512, description: "value of the route's consumerClaim that names this consumer" }),
    secret: Type.Optional(Secret(Type.String({ minLength: 32, maxLength: 4096, description: 'HS256 secret (32+ characters)' }))),
    publicKey: Type.Optional(Type.String({ minLength: 1, maxLength: 16_384, description: 'PEM public key for RS256 / ES256 (P-256)' })),
  },
  { additionalProperties: false },
);

export type JwtAuthConfig = Static<typeof JwtAuthSchema>;
export type JwtAuthConsumer = Static<typeof JwtAuthConsumerSchema>;

type Verify = (token: string) => Record<string, unknown>;

interface Identity {
  readonly consumer: ConsumerConfig;
  readonly secret?: string;
  readonly publicKey?: { pem: string; alg: Alg };
}

interface PreparedJwtAuth {
  readonly conf: JwtAuthConfig;
  readonly header: string;
  readonly algorithms: ReadonlySet<string>;
  readonly jwks?: JwksKeySet;
  /** Verifiers built on first use, per consumer or JWKS entry (consumers can be many). */
  readonly verifiers: WeakMap<object, Verify | null>;
  readonly logger?: PluginLogger;
}

const decode = createDecoder({ complete: true });
const duplicates = new WeakMap<object, Map<number, number>>();
const subjectOf = (c: ConsumerConfig): string | undefined => (c.plugins?.['jwt-auth'] as JwtAuthConsumer | undefined)?.subject;

/** The algorithm a PEM public key signs with, or a reason it cannot be used. */
function publicKeyAlg(pem: string): Alg | string {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType === 'rsa') return 'RS256';
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
    return `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`;
  } catch (err) {
    return (err as Error).message;
  }
}

function verifierFor(p: PreparedJwtAuth, owner: object, key: string, alg: Alg): Verify | undefined {
  let v = p.verifiers.get(owner);
  if (v === undefined) {
    v = p.algorithms.has(alg)
      ? (createVerifier({
          key,
          algorithms: [alg],
          allowedIss: p.conf.issuer,
          allowedAud: p.conf.audience,
          clockTolerance: p.conf.clockSkewSec * 1000,
          requiredClaims: p.conf.requireExpiry ? ['exp'] : undefined,
          cache: true,
        }) as Verify)
      : null;
    p.verifiers.set(owner, v);
  }
  return v ?? undefined;
}

function tokenOf(ctx: RequestContext, p: PreparedJwtAuth): string | undefined {
  const h = headerValue(ctx, p.header);
  if (h) return p.header === 'authorization' ? (/^bearer\s+(.+)$/i.exec(h)?.[1]?.trim() ?? undefined) : h.trim();
  if (p.conf.query) {
    const q = queryParam(ctx.query, p.conf.query);
    if (q) return q;
  }
  return p.conf.cookie ? cookieValue(ctx.headers.cookie, p.conf.cookie) || undefined : undefined;
}

/** Removes every form the token may travel in (header, query parameter, cookie), so the upstream never sees it. */
function hideToken(ctx: RequestContext, p: PreparedJwtAuth): void {
  delete ctx.headers[p.header];
  if (p.conf.query) ctx.query = withoutQueryParam(ctx.query, p.conf.query);
  if (p.conf.cookie && ctx.headers.cookie !== undefined) {
    const rest = withoutCookie(ctx.headers.cookie, p.conf.cookie);
    if (rest === undefined) delete ctx.headers.cookie;
    else ctx.headers.cookie = rest;
  }
}

function finish(ctx: RequestContext, p: PreparedJwtAuth, verify: Verify | undefined, token: string, identity: Identity | undefined): PluginAnswer | undefined {
  if (!verify) return unauthorized(p.logger, ctx, 'jwt-auth', 'no key for this token (unknown kid or consumer, or algorithm not allowed)');
  let payload: Record<string, unknown>;
  try {
    payload = verify(token);
  } catch (err) {
    return unauthorized(p.logger, ctx, 'jwt-auth', `token rejected: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
  }
  const subject = payload[p.conf.consumerClaim];
  if (identity) admitConsumer(ctx, identity.consumer, String(subject));
  else if (p.conf.requireConsumer) return unauthorized(p.logger, ctx, 'jwt-auth', `no consumer with subject ${JSON.stringify(subject)}`);
  else if (typeof subject === 'string') ctx.headers[CREDENTIAL_HEADER] = subject;
  ctx.vars.set('jwt-auth', payload);
  if (p.conf.hideCredentials) hideToken(ctx, p);
  return undefined;
}

export const jwtAuth: GatewayPlugin<JwtAuthConfig, PreparedJwtAuth, JwtAuthConsumer> = {
  name: 'jwt-auth',
  priority: 2510,
  schema: JwtAuthSchema,
  consumerSchema: JwtAuthConsumerSchema,

  check(conf, { path }) {
    if (conf.jwksUrl) {
      try {
        new URL(conf.jwksUrl);
      } catch {
        return [{ path: `${path}/jwksUrl`, message: `"${conf.jwksUrl}" is not a URL.`, fix: 'give the https:// URL of the JSON Web Key Set.' }];
      }
    }
    return [];
  },

  checkConsumer(conf, { path, document }) {
    if (conf.publicKey !== undefined) {
      const alg = publicKeyAlg(conf.publicKey);
      if (!ALGS.includes(alg as Alg))
        return [{ path: `${path}/publicKey`, message: `the public key is not usable: ${alg}.`, fix: 'give a PEM RSA or EC P-256 public key.' }];
    }
    const index = consumerIndex(path);
    if (document && index !== undefined) {
      const prev = duplicateCredentials(duplicates, document.consumers, subjectOf).get(index);
      if (prev !== undefined)
        return [{ path: `${path}/subject`, message: `subject "${conf.subject}" is also used by consumer "${document.consumers[prev]!.id}".`, fix: 'give every consumer its own subject.' }];
    }
    return [];
  },

  prepare(conf, { services }) {
    const jwks = conf.jwksUrl
      ? jwksKeySet(services, { url: conf.jwksUrl, ttlMs: conf.jwksCacheTtlMs, minRefetchMs: conf.jwksMinRefetchMs, timeoutMs: conf.jwksTimeoutMs, logger: services.logger })
      : undefined;
    return { conf, header: conf.header.toLowerCase(), algorithms: new Set(conf.algorithms), jwks, verifiers: new WeakMap(), logger: services.logger };
  },

  credentialOf: (slot) => slot.subject,

  indexEntry(slot, consumer): Identity {
    const alg = slot.publicKey ? publicKeyAlg(slot.publicKey) : undefined;
    return {
      consumer,
      secret: slot.secret,
      publicKey: slot.publicKey && (alg === 'RS256' || alg === 'ES256') ? { pem: slot.publicKey, alg } : undefined,
    };
  },

  access(ctx, p) {
    const token = tokenOf(ctx, p);
    if (!token) return unauthorized(p.logger, ctx, 'jwt-auth', 'no token presented');
    let decoded: { header: { alg?: unknown; kid?: unknown }; payload: Record<string, unknown> };
    try {
      decoded = decode(token) as typeof decoded;
    } catch (err) {
      return unauthorized(p.logger, ctx, 'jwt-auth', `malformed token: ${(err as Error).message}`);
    }
    const alg = decoded.header.alg;
    if (typeof alg !== 'string' || !p.algorithms.has(alg)) return unauthorized(p.logger, ctx, 'jwt-auth', `algorithm ${String(alg)} not allowed`);
    const subject = decoded.payload?.[p.conf.consumerClaim];
    const identity = typeof subject === 'string' ? (ctx.consumerIndex.find('jwt-auth', subject) as Identity | undefined) : undefined;
    if (alg === 'HS256') {
      const verify = identity?.secret !== undefined ? verifierFor(p, identity, identity.secret, 'HS256') : undefined;
      return finish(ctx, p, verify, token, identity);
    }
    const kid = decoded.header.kid;
    if (p.jwks && typeof kid === 'string') {
      const entry = p.jwks.get(kid);
      const withKey = (e: JwkEntry | undefined): PluginAnswer | undefined =>
        finish(ctx, p, e && e.alg === alg ? verifierFor(p, e, e.pem, e.alg) : undefined, token, identity);
      return entry instanceof Promise ? entry.then(withKey) : withKey(entry);
    }
    const pk = identity?.publicKey;
    return finish(ctx, p, pk && pk.alg === alg ? verifierFor(p, pk, pk.pem, pk.alg) : undefined, token, identity);
  },
};
