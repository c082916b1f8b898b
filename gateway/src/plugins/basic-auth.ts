/**
 * basic-auth: HTTP Basic credentials checked against scrypt password hashes. A verified
 * credential is remembered briefly (keyed by an HMAC under a per-process random key, never the
 * password itself) so scrypt stays off the hot path; a config reload forgets everything.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { ConsumerConfig } from '../config/schema';
import { admitConsumer, consumerIndex, duplicateCredentials, headerValue, unauthorized } from './auth';
import { hashPassword, parsePasswordHash, PASSWORD_HASH_PATTERN, verifyPassword, type ScryptHash } from './credentials';
import type { GatewayPlugin, PluginLogger } from './plugin';

export const DEFAULT_BASIC_AUTH_CACHE_TTL_MS = 60_000;
const CACHE_MAX_ENTRIES = 10_000;

export const BasicAuthSchema = Type.Object(
  {
    realm: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^"\\\\]+$', default: 'gatehouse', description: 'realm in the WWW-Authenticate challenge' }),
    hideCredentials: Type.Boolean({ default: true, description: 'remove the Authorization header before forwarding' }),
    cacheTtlMs: Type.Integer({
      minimum: 0,
      maximum: 3_600_000,
      default: DEFAULT_BASIC_AUTH_CACHE_TTL_MS,
      description: 'how long a verified credential skips scrypt (0: never cached)',
    }),
  },
  { additionalProperties: false },
);

export const BasicAuthConsumerSchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^:]+$', description: 'user name (no ":")' }),
    passwordHash: Type.String({ pattern: PASSWORD_HASH_PATTERN, description: '"scrypt$N$r$p$salt$hash" (npm run hash-credential -- password)' }),
  },
  { additionalProperties: false },
);

export type BasicAuthConfig = Static<typeof BasicAuthSchema>;
export type BasicAuthConsumer = Static<typeof BasicAuthConsumerSchema>;

interface Account {
  readonly consumer: ConsumerConfig;
  readonly hash: ScryptHash;
}

interface PreparedBasicAuth {
  readonly challenge: Record<string, string>;
  readonly hideCredentials: boolean;
  readonly cacheTtlMs: number;
  readonly accounts: ReadonlyMap<string, Account>;
  readonly verified: Map<string, { consumer: ConsumerConfig; until: number }>;
  readonly cacheKey: Buffer;
  readonly logger?: PluginLogger;
}

// Verified against when the user is unknown, so unknown and known users take the same time.
let decoy: Promise<ScryptHash> | undefined;
function decoyHash(): Promise<ScryptHash> {
  decoy ??= hashPassword(randomBytes(16).toString('hex')).then((h) => parsePasswordHash(h) as ScryptHash);
  return decoy;
}

const duplicates = new WeakMap<object, Map<number, number>>();
const usernameOf = (c: ConsumerConfig): string | undefined => (c.plugins?.['basic-auth'] as BasicAuthConsumer | undefined)?.username;

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (!header || header.length < 7 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function remember(conf: PreparedBasicAuth, key: string, consumer: ConsumerConfig): void {
  if (conf.cacheTtlMs === 0) return;
  if (conf.verified.size >= CACHE_MAX_ENTRIES) conf.verified.delete(conf.verified.keys().next().value!);
  conf.verified.set(key, { consumer, until: performance.now() + conf.cacheTtlMs });
}

export const basicAuth: GatewayPlugin<BasicAuthConfig, PreparedBasicAuth, BasicAuthConsumer> = {
  name: 'basic-auth',
  priority: 2520,
  schema: BasicAuthSchema,
  consumerSchema: BasicAuthConsumerSchema,

  checkConsumer(conf, { path, document }) {
    const parsed = parsePasswordHash(conf.passwordHash);
    if (typeof parsed === 'string')
      return [{ path: `${path}/passwordHash`, message: `the password hash is not usable: ${parsed}.`, fix: 'produce one with `npm run hash-credential -- password`.' }];
    const index = consumerIndex(path);
    if (document && index !== undefined) {
      const prev = duplicateCredentials(duplicates, document.consumers, usernameOf).get(index);
      if (prev !== undefined)
        return [{ path: `${path}/username`, message: `username "${conf.username}" is also used by consumer "${document.consumers[prev]!.id}".`, fix: 'give every consumer its own username.' }];
    }
    return [];
  },

  prepare(conf, { consumers, services }) {
    const accounts = new Map<string, Account>();
    for (const consumer of consumers) {
      const slot = consumer.plugins?.['basic-auth'] as BasicAuthConsumer | undefined;
      if (!slot || accounts.has(slot.username)) continue;
      const hash = parsePasswordHash(slot.passwordHash);
      if (typeof hash !== 'string') accounts.set(slot.username, { consumer, hash });
    }
    void decoyHash();
    return {
      challenge: { 'www-authenticate': `Basic realm="${conf.realm}", charset="UTF-8"` },
      hideCredentials: conf.hideCredentials,
      cacheTtlMs: conf.cacheTtlMs,
      accounts,
      verified: new Map(),
      cacheKey: randomBytes(32),
      logger: services.logger,
    };
  },

  access(ctx, conf) {
    const credentials = parseBasic(headerValue(ctx, 'authorization'));
    if (!credentials) return unauthorized(conf.logger, ctx, 'basic-auth', 'no Basic credentials', conf.challenge);
    const { user, password } = credentials;
    const cacheKey = createHmac('sha256', conf.cacheKey).update(user).update('\0').update(password).digest('base64');
    const hit = conf.verified.get(cacheKey);
    if (hit && hit.until > performance.now()) {
      if (conf.hideCredentials) delete ctx.headers.authorization;
      admitConsumer(ctx, hit.consumer);
      return undefined;
    }
    const account = conf.accounts.get(user);
    const check = account ? verifyPassword(password, account.hash) : decoyHash().then((h) => verifyPassword(password, h)).then(() => false);
    return check.then((ok) => {
      if (!ok || !account) return unauthorized(conf.logger, ctx, 'basic-auth', account ? `wrong password for "${user}"` : `unknown user "${user}"`, conf.challenge);
      remember(conf, cacheKey, account.consumer);
      if (conf.hideCredentials) delete ctx.headers.authorization;
      admitConsumer(ctx, account.consumer);
      return undefined;
    });
  },
};
