import { hashKey } from '../../../gateway/src/plugins/credentials';
import { chainFor, check, decide, documentWith, fakeContext, filled, MemoryLogger } from './harness';

const KEY = 'k-0123456789abcdef';
const consumers = [{ id: 'alice', username: 'Alice', plugins: { 'key-auth': { key: KEY } } }];

describe('key-auth', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('key-auth', {})).toEqual({ header: 'x-api-key', hideCredentials: true });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'key-auth': { header: 7 } })).problems).toEqual([
      { path: '/routes/0/plugins/key-auth/header', message: 'must be string.', fix: 'use a value of type string.' },
    ]);
  });

  it('stores consumer keys hashed: a plain key is replaced by its hash when checked', () => {
    const { config } = check(documentWith({ 'key-auth': {} }, { consumers }));
    expect(config!.consumers[0]!.plugins!['key-auth']).toEqual({ keyHash: hashKey(KEY) });
    expect(JSON.stringify(config)).not.toContain(KEY);
  });

  it('rejects two consumers with the same key, and a consumer with neither key nor keyHash', () => {
    const twins = [...consumers, { id: 'bob', plugins: { 'key-auth': { keyHash: hashKey(KEY) } } }, { id: 'carol', plugins: { 'key-auth': {} } }];
    expect(check(documentWith({}, { consumers: twins })).problems).toEqual([
      { path: '/consumers/1/plugins/key-auth', message: 'this key is also the key of consumer "alice".', fix: 'give every consumer its own key.' },
      { path: '/consumers/2/plugins/key-auth', message: 'give exactly one of key and keyHash.', fix: 'set key (a random value of 16+ characters) or keyHash ("sha256$<hex>").' },
    ]);
  });

  it('admits a known key, sets the identity headers and hides the key', async () => {
    const { chain, config } = chainFor(documentWith({ 'key-auth': {} }, { consumers }));
    const ctx = fakeContext(config, { headers: { 'x-api-key': KEY } });
    expect(await decide(chain, ctx)).toBeUndefined();
    expect(ctx.consumer?.id).toBe('alice');
    expect(ctx.headers).toMatchObject({ 'x-consumer-id': 'alice', 'x-consumer-username': 'Alice' });
    expect(ctx.headers['x-api-key']).toBeUndefined();
  });

  it('answers a generic 401 for a missing or unknown key and logs the detail', async () => {
    const logger = new MemoryLogger();
    const { chain, config } = chainFor(documentWith({ 'key-auth': {} }, { consumers }), { logger });
    expect(await decide(chain, fakeContext(config))).toEqual({ status: 401, error: 'GW_ERR_UNAUTHORIZED' });
    expect(await decide(chain, fakeContext(config, { headers: { 'x-api-key': 'wrong-key-0123456789' } }))).toEqual({ status: 401, error: 'GW_ERR_UNAUTHORIZED' });
    expect(logger.lines.map((l) => (l.obj as { reason: string }).reason)).toEqual(['no key presented', 'unknown key']);
  });

  it('reads the key from the query when configured, and from a custom header', async () => {
    const { chain, config } = chainFor(documentWith({ 'key-auth': { header: 'X-Key', query: 'apikey' } }, { consumers }));
    const fromQuery = fakeContext(config, { query: `a=1&apikey=${KEY}` });
    expect(await decide(chain, fromQuery)).toBeUndefined();
    expect(fromQuery.consumer?.id).toBe('alice');
    expect(fromQuery.query).toBe('a=1');
    const fromHeader = fakeContext(config, { headers: { 'x-key': KEY } });
    expect(await decide(chain, fromHeader)).toBeUndefined();
    expect(fromHeader.consumer?.id).toBe('alice');
  });

  it('removes only the key parameter from the forwarded query, keeping the others as sent', async () => {
    const { chain, config } = chainFor(documentWith({ 'key-auth': { query: 'apikey' } }, { consumers }));
    const ctx = fakeContext(config, { query: `q=a%20b+c&apikey=${KEY}&x=1&apikey=again` });
    expect(await decide(chain, ctx)).toBeUndefined();
    expect(ctx.query).toBe('q=a%20b+c&x=1');
    const kept = chainFor(documentWith({ 'key-auth': { query: 'apikey', hideCredentials: false } }, { consumers }));
    const visible = fakeContext(kept.config, { query: `apikey=${KEY}` });
    expect(await decide(kept.chain, visible)).toBeUndefined();
    expect(visible.query).toBe(`apikey=${KEY}`);
  });
});
