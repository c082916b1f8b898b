import { chainFor, check, decide, documentWith, fakeContext, filled } from './harness';

describe('request-headers', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('request-headers', {})).toEqual({ set: {}, add: {}, remove: [] });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'request-headers': { remove: 'x-a' } })).problems).toEqual([
      { path: '/routes/0/plugins/request-headers/remove', message: 'must be array.', fix: 'use a value of type array.' },
    ]);
  });

  it('refuses headers the gateway owns and values that could split a header', () => {
    const { problems } = check(documentWith({ 'request-headers': { set: { Host: 'x', 'x-a': 'evil\r\nx-b: 1' }, remove: ['content-length'] } }));
    expect(problems.map((p) => p.path)).toEqual(['/routes/0/plugins/request-headers/set/x-a']);
    const reserved = check(documentWith({ 'request-headers': { set: { Host: 'x' }, remove: ['Content-Length'] } })).problems;
    expect(reserved).toEqual([
      { path: '/routes/0/plugins/request-headers/set/Host', message: 'header "Host" is managed by the gateway and cannot be changed here.', fix: 'remove "Host" from the transform.' },
      {
        path: '/routes/0/plugins/request-headers/remove/0',
        message: 'header "Content-Length" is managed by the gateway and cannot be changed here.',
        fix: 'remove "Content-Length" from the transform.',
      },
    ]);
  });

  it('removes, then sets, then adds headers sent upstream', async () => {
    const { chain, config } = chainFor(documentWith({ 'request-headers': { remove: ['X-Drop'], set: { 'X-Env': 'prod' }, add: { 'X-Tag': 'gw' } } }));
    const ctx = fakeContext(config, { headers: { 'x-drop': '1', 'x-env': 'dev', 'x-tag': 'client' } });
    expect(await decide(chain, ctx)).toBeUndefined();
    expect(ctx.headers).toEqual({ 'x-env': 'prod', 'x-tag': 'client, gw' });
  });
});

describe('response-headers', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('response-headers', {})).toEqual({ set: {}, add: {}, remove: [] });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'response-headers': { set: { 'x-a': 1 } } })).problems).toEqual([
      { path: '/routes/0/plugins/response-headers/set/x-a', message: 'must be string.', fix: 'use a value of type string.' },
    ]);
  });

  it('changes the upstream response headers', async () => {
    const { chain, config } = chainFor(documentWith({ 'response-headers': { remove: ['server'], set: { 'cache-control': 'no-store' }, add: { 'set-cookie': 'b=2' } } }));
    const ctx = fakeContext(config);
    const headers: Record<string, string | string[] | undefined> = { server: 'upstream/1.0', 'cache-control': 'max-age=60', 'set-cookie': 'a=1' };
    chain.responseHeaders(ctx, 200, headers);
    expect(headers).toEqual({ 'cache-control': 'no-store', 'set-cookie': ['a=1', 'b=2'] });
  });
});

describe.each(['request-headers', 'response-headers'])('%s header names', (plugin) => {
  it('refuses names that are not RFC 9110 tokens in set, add and remove, with the exact message', () => {
    const { problems } = check(documentWith({ [plugin]: { set: { 'x-a\r\nx-b': '1' }, add: { 'x y': '1', 'x:z': '1' }, remove: ['x\nz'] } }));
    const token = { message: 'must be an RFC 9110 token (a header name).', fix: "use only letters, digits and !#$%&'*+-.^_`|~ (no spaces, colons, CR or LF)." };
    expect(problems).toEqual([
      { path: `/routes/0/plugins/${plugin}/set/x-a\r\nx-b`, message: `the name "x-a\\r\\nx-b" ${token.message}`, fix: token.fix },
      { path: `/routes/0/plugins/${plugin}/add/x y`, message: `the name "x y" ${token.message}`, fix: token.fix },
      { path: `/routes/0/plugins/${plugin}/add/x:z`, message: `the name "x:z" ${token.message}`, fix: token.fix },
      { path: `/routes/0/plugins/${plugin}/remove/0`, ...token },
    ]);
  });

  it('refuses values with CR, LF or NUL, with the exact message', () => {
    expect(check(documentWith({ [plugin]: { set: { 'x-a': 'a\u0000b' }, add: { 'x-b': 'a\nb' } } })).problems).toEqual(
      ['set/x-a', 'add/x-b'].map((where) => ({
        path: `/routes/0/plugins/${plugin}/${where}`,
        message: 'must be a header value without CR, LF, NUL or other control characters.',
        fix: 'use visible ASCII characters, spaces and tabs only.',
      })),
    );
  });
});
