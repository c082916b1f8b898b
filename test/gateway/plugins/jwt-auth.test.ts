import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSigner } from 'fast-jwt';
import { chainFor, check, decide, documentWith, fakeContext, filled, MemoryLogger } from './harness';

const SECRET = 'a-very-long-hs256-secret-0123456789';
const UNAUTHORIZED = { status: 401, error: 'GW_ERR_UNAUTHORIZED' };
const now = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
const signHs = (payload: object, secret = SECRET) => createSigner({ key: secret, algorithm: 'HS256' })(payload);
const signWith = (key: KeyObject, algorithm: 'RS256' | 'ES256', payload: object, kid?: string) =>
  createSigner({ key: key.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm, kid })(payload);

const consumers = [
  { id: 'alice', plugins: { 'jwt-auth': { subject: 'alice', secret: SECRET } } },
  { id: 'bob', plugins: { 'jwt-auth': { subject: 'bob', publicKey: pem(ec.publicKey) } } },
  { id: 'carol', plugins: { 'jwt-auth': { subject: 'carol' } } },
];

describe('jwt-auth', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('jwt-auth', {})).toEqual({
      header: 'authorization',
      algorithms: ['HS256', 'RS256', 'ES256'],
      clockSkewSec: 30,
      requireExpiry: true,
      consumerClaim: 'sub',
      requireConsumer: true,
      jwksCacheTtlMs: 600_000,
      jwksMinRefetchMs: 30_000,
      jwksTimeoutMs: 2_000,
      hideCredentials: false,
    });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'jwt-auth': { clockSkewSec: '30s' } })).problems).toEqual([
      { path: '/routes/0/plugins/jwt-auth/clockSkewSec', message: 'must be integer.', fix: 'use a value of type integer.' },
    ]);
  });

  it('rejects an unusable consumer public key', () => {
    const bad = [{ id: 'x', plugins: { 'jwt-auth': { subject: 'x', publicKey: 'not a key' } } }];
    expect(check(documentWith({}, { consumers: bad })).problems).toEqual([
      { path: '/consumers/0/plugins/jwt-auth/publicKey', message: expect.stringMatching(/^the public key is not usable: /), fix: 'give a PEM RSA or EC P-256 public key.' },
    ]);
  });

  it('admits HS256 and ES256 tokens signed with the consumer key and sets the identity', async () => {
    const { chain, config } = chainFor(documentWith({ 'jwt-auth': {} }, { consumers }));
    const hs = fakeContext(config, { headers: bearer(signHs({ sub: 'alice', exp: now() + 60 })) });
    expect(await decide(chain, hs)).toBeUndefined();
    expect(hs.headers).toMatchObject({ 'x-consumer-id': 'alice', 'x-credential-identifier': 'alice' });
    const es = fakeContext(config, { headers: bearer(signWith(ec.privateKey, 'ES256', { sub: 'bob', exp: now() + 60 })) });
    expect(await decide(chain, es)).toBeUndefined();
    expect(es.consumer?.id).toBe('bob');
    expect((es.vars.get('jwt-auth') as { sub: string }).sub).toBe('bob');
  });

  it('refuses wrong signatures, algorithm confusion, expired, not-yet-valid and exp-less tokens, and logs why', async () => {
    const logger = new MemoryLogger();
    const { chain, config } = chainFor(documentWith({ 'jwt-auth': { clockSkewSec: 10 } }, { consumers }), { logger });
    const tokens = [
      signHs({ sub: 'alice', exp: now() + 60 }, 'another-secret-of-at-least-32-chars!!'),
      // HS256 "signed" with bob's public key as the secret: must not verify against an EC key.
      signHs({ sub: 'bob', exp: now() + 60 }, pem(ec.publicKey)),
      signHs({ sub: 'alice', exp: now() - 20 }),
      signHs({ sub: 'alice', exp: now() + 120, nbf: now() + 60 }),
      signHs({ sub: 'alice' }),
      'not.a.jwt',
    ];
    for (const t of tokens) expect(await decide(chain, fakeContext(config, { headers: bearer(t) }))).toEqual(UNAUTHORIZED);
    expect(logger.lines).toHaveLength(tokens.length);
  });

  it('allows the configured clock skew on exp', async () => {
    const { chain, config } = chainFor(documentWith({ 'jwt-auth': { clockSkewSec: 30 } }, { consumers }));
    expect(await decide(chain, fakeContext(config, { headers: bearer(signHs({ sub: 'alice', exp: now() - 5 })) }))).toBeUndefined();
  });

  it('checks issuer and audience when configured', async () => {
    const { chain, config } = chainFor(documentWith({ 'jwt-auth': { issuer: ['https://idp.example'], audience: ['api'] } }, { consumers }));
    const good = signHs({ sub: 'alice', exp: now() + 60, iss: 'https://idp.example', aud: ['other', 'api'] });
    expect(await decide(chain, fakeContext(config, { headers: bearer(good) }))).toBeUndefined();
    const wrongIss = signHs({ sub: 'alice', exp: now() + 60, iss: 'https://evil.example', aud: 'api' });
    expect(await decide(chain, fakeContext(config, { headers: bearer(wrongIss) }))).toEqual(UNAUTHORIZED);
    const wrongAud = signHs({ sub: 'alice', exp: now() + 60, iss: 'https://idp.example', aud: 'web' });
    expect(await decide(chain, fakeContext(config, { headers: bearer(wrongAud) }))).toEqual(UNAUTHORIZED);
  });

  it('reads the token from a cookie when configured', async () => {
    const { chain, config } = chainFor(documentWith({ 'jwt-auth': { cookie: 'session' } }, { consumers }));
    const ctx = fakeContext(config, { headers: { cookie: `a=b; session=${signHs({ sub: 'alice', exp: now() + 60 })}` } });
    expect(await decide(chain, ctx)).toBeUndefined();
  });

  describe('hideCredentials', () => {
    const hiding = () => chainFor(documentWith({ 'jwt-auth': { query: 'token', cookie: 'session', hideCredentials: true } }, { consumers }));

    it('removes the token header', async () => {
      const { chain, config } = hiding();
      const ctx = fakeContext(config, { headers: { ...bearer(signHs({ sub: 'alice', exp: now() + 60 })), 'x-keep': '1' } });
      expect(await decide(chain, ctx)).toBeUndefined();
      expect(ctx.headers.authorization).toBeUndefined();
      expect(ctx.headers['x-keep']).toBe('1');
    });

    it('removes the query parameter and keeps the others as they were encoded', async () => {
      const { chain, config } = hiding();
      const ctx = fakeContext(config, { query: `a=1&token=${signHs({ sub: 'alice', exp: now() + 60 })}&b=x%20y` });
      expect(await decide(chain, ctx)).toBeUndefined();
      expect(ctx.query).toBe('a=1&b=x%20y');
    });

    it('removes just that cookie from the Cookie header, and the header when nothing is left', async () => {
      const { chain, config } = hiding();
      const token = signHs({ sub: 'alice', exp: now() + 60 });
      const ctx = fakeContext(config, { headers: { cookie: `a=b; session=${token}; theme=dark` } });
      expect(await decide(chain, ctx)).toBeUndefined();
      expect(ctx.headers.cookie).toBe('a=b; theme=dark');
      const only = fakeContext(config, { headers: { cookie: `session=${token}` } });
      expect(await decide(chain, only)).toBeUndefined();
      expect(only.headers.cookie).toBeUndefined();
    });

    it('leaves every form in place when hideCredentials is false', async () => {
      const { chain, config } = chainFor(documentWith({ 'jwt-auth': { query: 'token', cookie: 'session' } }, { consumers }));
      const token = signHs({ sub: 'alice', exp: now() + 60 });
      const ctx = fakeContext(config, { query: `token=${token}`, headers: { cookie: `session=${token}` } });
      expect(await decide(chain, ctx)).toBeUndefined();
      expect(ctx.query).toBe(`token=${token}`);
      expect(ctx.headers.cookie).toBe(`session=${token}`);
    });
  });

  describe('with a JWKS URL', () => {
    let server: Server;
    let url: string;
    let keys: object[] = [];
    let fetches = 0;
    const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig' });

    beforeAll(async () => {
      server = createServer((_req, res) => {
        fetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('verifies with the key named by kid, picks up a rotated key, and does not refetch for every unknown kid', async () => {
      keys = [jwk(rsa.publicKey, 'k1')];
      fetches = 0;
      const { chain, config } = chainFor(documentWith({ 'jwt-auth': { jwksUrl: url, jwksMinRefetchMs: 1_000 } }, { consumers }));
      const first = fakeContext(config, { headers: bearer(signWith(rsa.privateKey, 'RS256', { sub: 'carol', exp: now() + 60 }, 'k1')) });
      expect(await decide(chain, first)).toBeUndefined();
      expect(first.consumer?.id).toBe('carol');
      expect(fetches).toBe(1);
      // The provider rotates to an EC key "k2": an unknown kid triggers a refetch, at most one per
      // jwksMinRefetchMs, so the new key is picked up within that interval.
      keys = [jwk(rsa.publicKey, 'k1'), jwk(ec.publicKey, 'k2')];
      const rotated = signWith(ec.privateKey, 'ES256', { sub: 'carol', exp: now() + 60 }, 'k2');
      const unknown = [1, 2, 3, 4, 5].map((i) => signWith(ec.privateKey, 'ES256', { sub: 'carol', exp: now() + 60 }, `k-${i}`));
      const deadline = Date.now() + 10_000;
      while ((await decide(chain, fakeContext(config, { headers: bearer(rotated) }))) !== undefined) {
        if (Date.now() > deadline) throw new Error('the rotated key was never picked up');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(fetches).toBe(2);
      // Unknown kids right after a fetch are refused without hitting the provider.
      for (const token of unknown) expect(await decide(chain, fakeContext(config, { headers: bearer(token) }))).toEqual(UNAUTHORIZED);
      expect(fetches).toBe(2);
    });

    it('refuses a token for no known consumer unless requireConsumer is false', async () => {
      keys = [jwk(rsa.publicKey, 'k1')];
      const token = signWith(rsa.privateKey, 'RS256', { sub: 'stranger', exp: now() + 60 }, 'k1');
      const strict = chainFor(documentWith({ 'jwt-auth': { jwksUrl: url } }, { consumers }));
      expect(await decide(strict.chain, fakeContext(strict.config, { headers: bearer(token) }))).toEqual(UNAUTHORIZED);
      const lax = chainFor(documentWith({ 'jwt-auth': { jwksUrl: url, requireConsumer: false } }, { consumers }));
      const ctx = fakeContext(lax.config, { headers: bearer(token) });
      expect(await decide(lax.chain, ctx)).toBeUndefined();
      expect(ctx.consumer).toBeUndefined();
      expect(ctx.headers['x-credential-identifier']).toBe('stranger');
    });

    it('fails closed when the JWKS URL cannot be reached', async () => {
      const { chain, config } = chainFor(documentWith({ 'jwt-auth': { jwksUrl: 'http://127.0.0.1:9/jwks.json', jwksTimeoutMs: 500 } }, { consumers }));
      const token = signWith(rsa.privateKey, 'RS256', { sub: 'carol', exp: now() + 60 }, 'k1');
      expect(await decide(chain, fakeContext(config, { headers: bearer(token) }))).toEqual(UNAUTHORIZED);
    });
  });
});
