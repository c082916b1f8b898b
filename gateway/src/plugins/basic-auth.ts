/**
 * basic-auth: HTTP Basic credentials checked against scrypt password hashes. A verified
 * credential is remembered briefly (keyed by an HMAC under a per-process random key, never the
 * password itself) so scrypt stays off the hot path; a config reload forgets everything.
 * Guessing is made expensive for the guesser only: scrypt checks are bounded (a queue with a share
 * per client address), and failures are counted per client address with an exponential backoff.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { ConsumerConfig } from '../config/schema';
import { admitConsumer, consumerIndex, duplicateCredentials, headerValue, unauthorized } from './auth';
import { FailureBackoff, type BackoffPolicy } from './failure-backoff';
import { VerificationQueue } from './verification-queue';
import { hashPassword, parsePasswordHash, PASSWORD_HASH_PATTERN, verifyPassword, type ScryptHash } from './credentials';
import type { GatewayPlugin, PluginAnswer, PluginLogger, PluginServices, RequestContext } from './contract';

export const DEFAULT_BASIC_AUTH_CACHE_TTL_MS = 60_000;
const CACHE_MAX_ENTRIES = 10_000;
export const DEFAULT_BASIC_AUTH_MAX_FAILURES = 5;
export const DEFAULT_BASIC_AUTH_BACKOFF_MS = 1_000;
export const DEFAULT_BASIC_AUTH_MAX_BACKOFF_MS = 300_000;

export const BasicAuthSchema = Type.Object(
  {
    // Written inside a quoted string of a header: no quote, no backslash, no CR, LF or NUL.
    realm: Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\t !#-\\[\\]-~]+$', default: 'gatehouse', description: 'realm in the WWW-Authenticate challenge' }),
    hideCredentials: Type.Boolean({ default: true, description: 'remove the Authorization header before forwarding' }),
    cacheTtlMs: Type.Integer({
      minimum: 0,
      maximum: 3_600_000,
      default: DEFAULT_BASIC_AUTH_CACHE_TTL_MS,
      description: 'how long a verified credential skips scrypt (0: never cached)',
    }),
    maxFailures: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: DEFAULT_BASIC_AUTH_MAX_FAILURES,
      description: 'failed attempts one client address may make before it must wait (429)',
    }),
    backoffMs: Type.Integer({
      minimum: 1,
      maximum: 3_600_000,
      default: DEFAULT_BASIC_AUTH_BACKOFF_MS,
      description: 'the first wait after maxFailures; doubles with every further failure',
    }),
    maxBackoffMs: Type.Integer({
      minimum: 1,
      maximum: 86_400_000,
      default: DEFAULT_BASIC_AUTH_MAX_BACKOFF_MS,
      description: 'the longest wait',
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
  /** Verified credentials by cache key, with the account they were checked against: a hit counts only while the consumer index still holds that account. */
  readonly verified: Map<string, { account: Account; until: number }>;
  /** Checks in flight by cache key: the same credential sent in parallel (a browser's first page) shares one scrypt against the same account. */
  readonly checking: Map<string, { account: Account | undefined; check: Promise<boolean> }>;
  readonly cacheKey: Buffer;
  readonly backoff: BackoffPolicy;
  readonly guard: Guard;
  readonly logger?: PluginLogger;
}

/** Shared by every basic-auth route of a process (one per plugin services object): the bound protects the process. */
interface Guard {
  readonly failures: FailureBackoff;
  readonly queue: VerificationQueue;
}
const guards = new WeakMap<PluginServices, Guard>();
function guardFor(services: PluginServices): Guard {
  let guard = guards.get(services);
  if (!guard) guards.set(services, (guard = { failures: new FailureBackoff(), queue: new VerificationQueue() }));
  return guard;
}

/** 429 (this client must wait) or 503 (every place is taken), with Retry-After in seconds. */
function refuse(conf: PreparedBasicAuth, ctx: RequestContext, status: 429 | 503, waitMs: number, reason: string): PluginAnswer {
  conf.logger?.info({ plugin: 'basic-auth', requestId: ctx.requestId, route: ctx.route.id, client: ctx.clientAddress, reason }, 'sign-in refused without a check');
  const headers = { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) };
  return status === 429 ? { status, error: 'GW_ERR_RATE_LIMITED', headers } : { status, error: 'GW_ERR_AUTH_BUSY', headers };
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

function remember(conf: PreparedBasicAuth, key: string, account: Account): void {
  if (conf.cacheTtlMs === 0) return;
  if (conf.verified.size >= CACHE_MAX_ENTRIES) conf.verified.delete(conf.verified.keys().next().value!);
  conf.verified.set(key, { account, until: performance.now() + conf.cacheTtlMs });
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

  prepare(conf, { services }) {
    void decoyHash();
    return {
      challenge: { 'www-authenticate': `Basic realm="${conf.realm}", charset="UTF-8"` },
      hideCredentials: conf.hideCredentials,
      cacheTtlMs: conf.cacheTtlMs,
      verified: new Map(),
      checking: new Map(),
      cacheKey: randomBytes(32),
      backoff: { maxFailures: conf.maxFailures, baseMs: conf.backoffMs, maxMs: conf.maxBackoffMs },
      guard: guardFor(services),
      logger: services.logger,
    };
  },

  credentialOf: (slot) => slot.username,

  indexEntry(slot, consumer): Account | undefined {
    const hash = parsePasswordHash(slot.passwordHash);
    return typeof hash === 'string' ? undefined : { consumer, hash };
  },

  access(ctx, conf) {
    const credentials = parseBasic(headerValue(ctx, 'authorization'));
    if (!credentials) return unauthorized(conf.logger, ctx, 'basic-auth', 'no Basic credentials', conf.challenge);
    const { user, password } = credentials;
    // A waiting client is refused before the cache is asked: otherwise a right guess would still
    // answer 200 (when its owner signed in lately) while every wrong one answers 429, an oracle.
    const client = ctx.clientAddress;
    const { failures, queue } = conf.guard;
    const wait = failures.waitFor(client);
    if (wait > 0) return refuse(conf, ctx, 429, wait, 'too many failed attempts from this client');
    const cacheKey = createHmac('sha256', conf.cacheKey).update(user).update('\0').update(password).digest('base64');
    // The account as this request's snapshot knows it: a consumer changed or removed since a check no longer matches it.
    const account = ctx.consumerIndex.find('basic-auth', user) as Account | undefined;
    const hit = conf.verified.get(cacheKey);
    if (hit && hit.account === account && hit.until > performance.now()) {
      if (conf.hideCredentials) delete ctx.headers.authorization;
      admitConsumer(ctx, hit.account.consumer);
      return undefined;
    }
    const running = conf.checking.get(cacheKey);
    let check = running?.account === account ? running?.check : undefined;
    const joined = check !== undefined;
    if (!check) {
      const run = queue.run(client, () => (account ? verifyPassword(password, account.hash) : decoyHash().then((h) => verifyPassword(password, h)).then(() => false)));
      if (run === 'client-busy') return refuse(conf, ctx, 429, 1000, 'this client already has sign-ins being checked');
      if (run === 'queue-full') return refuse(conf, ctx, 503, 1000, 'the sign-in check queue is full');
      conf.checking.set(cacheKey, { account, check: (check = run) });
      const forget = () => void (conf.checking.get(cacheKey)?.check === run && conf.checking.delete(cacheKey));
      run.then(forget, forget);
    }
    return check.then((ok) => {
      if (!ok || !account) {
        // A guess sent twice at once is one guess: only the request that ran the check counts it.
        const waitMs = joined ? 0 : failures.fail(client, conf.backoff);
        const reason = account ? `wrong password for "${user}"` : `unknown user "${user}"`;
        return unauthorized(conf.logger, ctx, 'basic-auth', waitMs ? `${reason}; client ${client} must wait ${waitMs} ms` : reason, conf.challenge);
      }
      failures.succeed(client);
      remember(conf, cacheKey, account);
      if (conf.hideCredentials) delete ctx.headers.authorization;
      admitConsumer(ctx, account.consumer);
      return undefined;
    });
  },
};
