import crypto from 'node:crypto';
import * as credentials from '../../../gateway/src/plugins/credentials';
import { FailureBackoff } from '../../../gateway/src/plugins/failure-backoff';
import { VerificationQueue } from '../../../gateway/src/plugins/verification-queue';
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
    expect(filled('basic-auth', {})).toEqual({ realm: 'gatehouse', hideCredentials: true, cacheTtlMs: 60_000, maxFailures: 5, backoffMs: 1_000, maxBackoffMs: 300_000 });
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

  describe('guessing', () => {
    const attempt = (chain: Parameters<typeof decide>[0], config: Parameters<typeof fakeContext>[0], client: string, password: string) =>
      decide(chain, fakeContext(config, { remoteAddress: '10.0.0.1', clientAddress: client, headers: { authorization: basic('alice', password) } }));

    it('after maxFailures failures a client address gets 429 with Retry-After and no scrypt; others are still checked', async () => {
      const { chain, config } = chainFor(documentWith({ 'basic-auth': { maxFailures: 3, backoffMs: 5_000 } }, { consumers }));
      for (let i = 0; i < 3; i++) expect((await attempt(chain, config, '203.0.113.7', `guess-${i}`))?.status).toBe(401);
      const scrypt = jest.spyOn(crypto, 'scrypt');
      expect(await attempt(chain, config, '203.0.113.7', 's3cret: with colon')).toEqual({ status: 429, error: 'GW_ERR_RATE_LIMITED', headers: { 'retry-after': '5' } });
      expect(await attempt(chain, config, '203.0.113.7', 'guess-4')).toEqual({ status: 429, error: 'GW_ERR_RATE_LIMITED', headers: { 'retry-after': '5' } });
      expect(scrypt).not.toHaveBeenCalled();
      // The counted address is the resolved client, not the socket peer (a load balancer) they share.
      expect(await attempt(chain, config, '198.51.100.2', 's3cret: with colon')).toBeUndefined();
      expect(derivations(scrypt, 's3cret: with colon')).toBe(1);
    });

    it('a waiting address is refused even a cached credential (a 200 among 429s would tell a right guess)', async () => {
      const { chain, config } = chainFor(documentWith({ 'basic-auth': { maxFailures: 1 } }, { consumers }));
      expect(await attempt(chain, config, '198.51.100.3', 's3cret: with colon')).toBeUndefined();
      expect((await attempt(chain, config, '203.0.113.8', 'guess'))?.status).toBe(401);
      expect((await attempt(chain, config, '203.0.113.8', 's3cret: with colon'))?.status).toBe(429);
      expect(await attempt(chain, config, '198.51.100.3', 's3cret: with colon')).toBeUndefined();
    });

    it('a success resets the count', async () => {
      const { chain, config } = chainFor(documentWith({ 'basic-auth': { maxFailures: 2, cacheTtlMs: 0 } }, { consumers }));
      expect((await attempt(chain, config, '203.0.113.9', 'guess'))?.status).toBe(401);
      expect(await attempt(chain, config, '203.0.113.9', 's3cret: with colon')).toBeUndefined();
      expect((await attempt(chain, config, '203.0.113.9', 'guess'))?.status).toBe(401);
      expect((await attempt(chain, config, '203.0.113.9', 'guess'))?.status).toBe(401);
      expect((await attempt(chain, config, '203.0.113.9', 'guess'))?.status).toBe(429);
    });

    it('the same credential sent in parallel shares one scrypt and passes every request', async () => {
      const { chain, config } = chainFor(documentWith({ 'basic-auth': {} }, { consumers }));
      const scrypt = jest.spyOn(crypto, 'scrypt');
      const answers = await Promise.all(Array.from({ length: 6 }, () => attempt(chain, config, '198.51.100.4', 's3cret: with colon')));
      expect(answers).toEqual(Array(6).fill(undefined));
      expect(derivations(scrypt, 's3cret: with colon')).toBe(1);
    });

    it('a guess sent in parallel is checked and counted once', async () => {
      const { chain, config } = chainFor(documentWith({ 'basic-auth': { maxFailures: 2 } }, { consumers }));
      const scrypt = jest.spyOn(crypto, 'scrypt');
      const answers = await Promise.all(Array.from({ length: 5 }, () => attempt(chain, config, '203.0.113.11', 'same-guess')));
      expect(answers.map((a) => a?.status)).toEqual([401, 401, 401, 401, 401]);
      expect(derivations(scrypt, 'same-guess')).toBe(1);
      expect((await attempt(chain, config, '203.0.113.11', 'other-guess'))?.status).toBe(401);
      expect((await attempt(chain, config, '203.0.113.11', 'third-guess'))?.status).toBe(429);
    });

    it('parallel attempts from one address beyond its share are refused at once, without scrypt', async () => {
      const { chain, config } = chainFor(documentWith({ 'basic-auth': {} }, { consumers }));
      const scrypt = jest.spyOn(crypto, 'scrypt');
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => attempt(chain, config, '203.0.113.10', `guess-${i}`)));
      const busy = { status: 429, error: 'GW_ERR_RATE_LIMITED', headers: { 'retry-after': '1' } };
      expect(answers.filter((a) => a?.status === 401)).toHaveLength(2);
      expect(answers.filter((a) => JSON.stringify(a) === JSON.stringify(busy))).toHaveLength(22);
      expect(scrypt.mock.calls.filter((c) => String(c[0]).startsWith('guess-'))).toHaveLength(2);
    });
  });
});

describe('FailureBackoff', () => {
  it('waits baseMs from the maxFailures-th failure, doubling up to maxMs, and forgets on success', () => {
    let now = 0;
    const backoff = new FailureBackoff(() => now);
    const policy = { maxFailures: 2, baseMs: 1_000, maxMs: 5_000 };
    expect([1, 2, 3, 4, 5].map(() => backoff.fail('a', policy))).toEqual([0, 1_000, 2_000, 4_000, 5_000]);
    expect(backoff.waitFor('a')).toBe(5_000);
    expect(backoff.waitFor('b')).toBe(0);
    now += 4_000;
    expect(backoff.waitFor('a')).toBe(1_000);
    backoff.succeed('a');
    expect(backoff.waitFor('a')).toBe(0);
    expect(backoff.fail('a', policy)).toBe(0);
  });
});

describe('VerificationQueue', () => {
  it('runs `concurrency` checks, queues `maxQueued`, refuses the rest at once; a client holds at most its share', async () => {
    const queue = new VerificationQueue({ concurrency: 1, maxQueued: 1, perClient: 1 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const first = queue.run('a', () => gate.then(() => order.push('a')));
    const second = queue.run('b', async () => order.push('b'));
    expect(queue.run('a', async () => 0)).toBe('client-busy');
    expect(queue.run('c', async () => 0)).toBe('queue-full');
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['a', 'b']);
    expect(await queue.run('c', async () => 'ran')).toBe('ran');
  });
});
