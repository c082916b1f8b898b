import crypto from 'node:crypto';
import * as credentials from '../../../gateway/src/plugins/credentials';
import { chainFor, check, decide, documentWith, fakeContext, filled, MemoryLogger } from './harness';

const CHEAP = { N: 1024, r: 8, p: 1 };
const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
/** How many scrypt derivations ran for `password`. */
const derivations = (spy: jest.SpyInstance, password: string) => spy.mock.calls.filter((c) => c[0] === password).length;
const CHALLENGE = { 'www-authenticate': 'Basic realm="gatehouse", charset="UTF-8"' };

describe('basic-auth', () => {
  let consumers: unknown[];

  beforeAll(async () => {
    consumers = [{ id: 'alice', plugins: { 'basic-auth': { username: 'alice', passwordHash: await credentials.hashPassword('s3cret: with colon', CHEAP) } } }];
  });

  afterEach(() => jest.restoreAllMocks());

  it('accepts the minimal config and fills defaults', () => {
    expect(filled('basic-auth', {})).toEqual({ realm: 'gatehouse', hideCredentials: true, cacheTtlMs: 60_000 });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'basic-auth': { cacheTtlMs: '1m' } })).problems).toEqual([
      { path: '/routes/0/plugins/basic-auth/cacheTtlMs', message: 'must be integer.', fix: 'use a value of type integer.' },
    ]);
  });

  it('rejects an unusable password hash and duplicate usernames', () => {
    const bad = [
      { id: 'a', plugins: { 'basic-auth': { username: 'a', passwordHash: 'scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==' } } },
      ...(consumers as object[]),
      { id: 'alice2', plugins: { 'basic-auth': (consumers[0] as { plugins: { 'basic-auth': object } }).plugins['basic-auth'] } },
    ];
    expect(check(documentWith({}, { consumers: bad })).problems).toEqual([
      {
        path: '/consumers/0/plugins/basic-auth/passwordHash',
        message: 'the password hash is not usable: N must be a power of two between 1024 and 1048576.',
        fix: 'produce one with `npm run hash-credential -- password`.',
      },
      { path: '/consumers/2/plugins/basic-auth/username', message: 'username "alice" is also used by consumer "alice".', fix: 'give every consumer its own username.' },
    ]);
  });

  it('admits the right password, sets identity headers and hides the credentials', async () => {
    const { chain, config } = chainFor(documentWith({ 'basic-auth': {} }, { consumers }));
    const ctx = fakeContext(config, { headers: { authorization: basic('alice', 's3cret: with colon') } });
    expect(await decide(chain, ctx)).toBeUndefined();
    expect(ctx.headers).toMatchObject({ 'x-consumer-id': 'alice', 'x-consumer-username': 'alice' });
    expect(ctx.headers.authorization).toBeUndefined();
  });

  it('answers a generic 401 with a challenge for a wrong password, an unknown user or no credentials', async () => {
    const logger = new MemoryLogger();
    const { chain, config } = chainFor(documentWith({ 'basic-auth': {} }, { consumers }), { logger });
    const expected = { status: 401, error: 'GW_ERR_UNAUTHORIZED', headers: CHALLENGE };
    expect(await decide(chain, fakeContext(config, { headers: { authorization: basic('alice', 'nope') } }))).toEqual(expected);
    expect(await decide(chain, fakeContext(config, { headers: { authorization: basic('mallory', 'x') } }))).toEqual(expected);
    expect(await decide(chain, fakeContext(config, { headers: { authorization: 'Bearer abc' } }))).toEqual(expected);
    expect(logger.lines.map((l) => (l.obj as { reason: string }).reason)).toEqual(['wrong password for "alice"', 'unknown user "mallory"', 'no Basic credentials']);
  });

  it('remembers a verified credential (scrypt runs once) but never a wrong one', async () => {
    const scrypt = jest.spyOn(crypto, 'scrypt');
    const { chain, config } = chainFor(documentWith({ 'basic-auth': {} }, { consumers }));
    for (let i = 0; i < 3; i++) expect(await decide(chain, fakeContext(config, { headers: { authorization: basic('alice', 's3cret: with colon') } }))).toBeUndefined();
    expect(derivations(scrypt, 's3cret: with colon')).toBe(1);
    for (let i = 0; i < 2; i++) expect((await decide(chain, fakeContext(config, { headers: { authorization: basic('alice', 'wrong') } })))?.status).toBe(401);
    expect(derivations(scrypt, 'wrong')).toBe(2);
  });

  it('with cacheTtlMs 0, verifies every time', async () => {
    const scrypt = jest.spyOn(crypto, 'scrypt');
    const { chain, config } = chainFor(documentWith({ 'basic-auth': { cacheTtlMs: 0 } }, { consumers }));
    for (let i = 0; i < 2; i++) expect(await decide(chain, fakeContext(config, { headers: { authorization: basic('alice', 's3cret: with colon') } }))).toBeUndefined();
    expect(derivations(scrypt, 's3cret: with colon')).toBe(2);
  });
});
