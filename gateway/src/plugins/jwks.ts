/**
 * A JSON Web Key Set fetched from a URL: cached for a TTL, refetched in the background when stale,
 * and refetched at once (at most once per `minRefetchMs`) when a token names an unknown `kid`, which
 * is how a key rotation at the identity provider reaches the gateway.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { request } from 'undici';
import type { PluginLogger } from './contract';

const MAX_JWKS_BYTES = 1_048_576;

/** One usable signing key of the set. */
export interface JwkEntry {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly pem: string;
}

export interface JwksOptions {
  readonly url: string;
  readonly ttlMs: number;
  readonly minRefetchMs: number;
  readonly timeoutMs: number;
  readonly logger?: PluginLogger;
}

function toEntry(jwk: JsonWebKey & { kid?: string; use?: string }): JwkEntry | undefined {
  if (typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) return undefined;
  const alg = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
  if (!alg) return undefined;
  const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return { kid: jwk.kid, alg, pem };
}

export class JwksKeySet {
  private keys = new Map<string, JwkEntry>();
  private fetchedAt = -Infinity;
  private attemptedAt = -Infinity;
  private inflight: Promise<void> | undefined;

  constructor(private readonly options: JwksOptions) {}

  /** The key for `kid`: at once when cached, after a refetch when unknown, undefined when the set lacks it. */
  get(kid: string): JwkEntry | undefined | Promise<JwkEntry | undefined> {
    const now = performance.now();
    const entry = this.keys.get(kid);
    if (now - this.fetchedAt > this.options.ttlMs && !this.inflight && now - this.attemptedAt >= this.options.minRefetchMs) {
      const refresh = this.refresh();
      if (!entry) return refresh.then(() => this.keys.get(kid));
    }
    if (entry) return entry;
    if (this.inflight) return this.inflight.then(() => this.keys.get(kid));
    if (now - this.attemptedAt < this.options.minRefetchMs) return undefined;
    return this.refresh().then(() => this.keys.get(kid));
  }

  private refresh(): Promise<void> {
    this.attemptedAt = performance.now();
    this.inflight = this.fetchKeys()
      .then((keys) => {
        this.keys = keys;
        this.fetchedAt = performance.now();
      })
      .catch((err: Error) => this.options.logger?.warn({ url: this.options.url, err: err.message }, 'JWKS fetch failed; keeping the keys we have'))
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async fetchKeys(): Promise<Map<string, JwkEntry>> {
    const { statusCode, body } = await request(this.options.url, {
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      headers: { accept: 'application/json' },
    });
    const text = await body.text();
    if (statusCode !== 200) throw new Error(`JWKS answered ${statusCode}`);
    if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS document too large');
    const doc = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(doc.keys)) throw new Error('JWKS document has no "keys" array');
    const keys = new Map<string, JwkEntry>();
    for (const jwk of doc.keys as (JsonWebKey & { kid?: string })[]) {
      try {
        const entry = toEntry(jwk);
        if (entry) keys.set(entry.kid, entry);
      } catch (err) {
        this.options.logger?.warn({ url: this.options.url, kid: jwk.kid, err: (err as Error).message }, 'JWKS key skipped');
      }
    }
    return keys;
  }
}

/** Key sets shared by every route and config version of one gateway, per URL and cache settings. */
const shared = new WeakMap<object, Map<string, JwksKeySet>>();

export function jwksKeySet(owner: object, options: JwksOptions): JwksKeySet {
  let sets = shared.get(owner);
  if (!sets) {
    sets = new Map();
    shared.set(owner, sets);
  }
  const id = `${options.url} ${options.ttlMs} ${options.minRefetchMs} ${options.timeoutMs}`;
  let set = sets.get(id);
  if (!set) {
    set = new JwksKeySet(options);
    sets.set(id, set);
  }
  return set;
}
