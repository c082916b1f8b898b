import { chainFor, check, decide, documentWith, fakeContext, filled } from './harness';

describe('proxy-rewrite', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('proxy-rewrite', { uri: '/health' })).toEqual({ uri: '/health' });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'proxy-rewrite': { host: 42 } })).problems).toEqual([
      { path: '/routes/0/plugins/proxy-rewrite/host', message: 'must be string.', fix: 'use a value of type string.' },
    ]);
  });

  it('rejects a bad expression, both uri and regex, and an empty rewrite', () => {
    expect(check(documentWith({ 'proxy-rewrite': { regex: { pattern: '(', replacement: '' } } })).problems.map((p) => p.path)).toEqual([
      '/routes/0/plugins/proxy-rewrite/regex/pattern',
    ]);
    expect(check(documentWith({ 'proxy-rewrite': { uri: '/a', regex: { pattern: 'a', replacement: 'b' } } })).problems[0]!.message).toBe('uri and regex are both given.');
    expect(check(documentWith({ 'proxy-rewrite': {} })).problems[0]!.message).toBe('nothing to rewrite.');
  });

  it('rewrites the forwarded path with groups and sets the upstream host', async () => {
    const { chain, config } = chainFor(documentWith({ 'proxy-rewrite': { regex: { pattern: '^/api/v1/(.*)$', replacement: '/v2/$1' }, host: 'internal.example:8443' } }));
    const ctx = fakeContext(config, { path: '/api/v1/users/7' });
    expect(await decide(chain, ctx)).toBeUndefined();
    expect(ctx.upstreamPath).toBe('/v2/users/7');
    expect(ctx.upstreamHost).toBe('internal.example:8443');
    const other = fakeContext(config, { path: '/api/v3/x' });
    await decide(chain, other);
    expect(other.upstreamPath).toBe('/api/v3/x');
  });

  it('replaces the path with a fixed uri', async () => {
    const { chain, config } = chainFor(documentWith({ 'proxy-rewrite': { uri: '/status' } }));
    const ctx = fakeContext(config, { path: '/api/anything' });
    await decide(chain, ctx);
    expect(ctx.upstreamPath).toBe('/status');
  });
});
