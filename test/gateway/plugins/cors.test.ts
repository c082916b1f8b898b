import { chainFor, check, decide, documentWith, fakeContext, filled } from './harness';

describe('cors', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('cors', {})).toEqual({
      allowOrigins: ['*'],
      allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowHeaders: [],
      exposeHeaders: [],
      allowCredentials: false,
      maxAgeSec: 600,
    });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ cors: { allowCredentials: 'yes' } })).problems).toEqual([
      { path: '/routes/0/plugins/cors/allowCredentials', message: 'must be boolean.', fix: 'use a value of type boolean.' },
    ]);
  });

  it('rejects credentials with the "*" origin and bad origin expressions', () => {
    expect(check(documentWith({ cors: { allowCredentials: true, allowOrigins: ['*', '~(('] } })).problems.map((p) => p.path)).toEqual([
      '/routes/0/plugins/cors/allowOrigins/1',
      '/routes/0/plugins/cors/allowCredentials',
    ]);
  });

  it('answers a preflight at the gateway with the allowed methods and the asked headers', async () => {
    const { chain, config } = chainFor(documentWith({ cors: { allowOrigins: ['https://app.example.com', '~^https://[a-z]+\\.example\\.org$'], allowCredentials: true, maxAgeSec: 60 } }));
    const preflight = (origin: string) =>
      fakeContext(config, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-token, content-type' } });
    expect(await decide(chain, preflight('https://shop.example.org'))).toEqual({
      status: 204,
      body: '',
      headers: {
        'access-control-allow-origin': 'https://shop.example.org',
        'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers': 'x-token, content-type',
        'access-control-allow-credentials': 'true',
        'access-control-max-age': '60',
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      },
    });
    expect(await decide(chain, preflight('https://evil.example.net'))).toEqual({ status: 204, body: '' });
  });

  it('adds the headers to actual responses from allowed origins only', async () => {
    const { chain, config } = chainFor(documentWith({ cors: { exposeHeaders: ['x-total'] } }));
    const ctx = fakeContext(config, { headers: { origin: 'https://any.example' } });
    expect(await decide(chain, ctx)).toBeUndefined();
    const headers: Record<string, string | string[] | undefined> = {};
    chain.responseHeaders(ctx, 200, headers);
    expect(headers).toEqual({ 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-total' });
    const noOrigin = fakeContext(config);
    await decide(chain, noOrigin);
    expect(noOrigin.responseHeaders).toEqual({});
  });
});
