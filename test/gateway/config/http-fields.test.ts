/**
 * Every place config names a header (or writes one) takes the one RFC 9110 token schema, so a CR or
 * LF can never reach a header name the gateway reads or writes.
 */
import { check, documentWith } from '../plugins/harness';

const BAD = 'x-a\r\nx-b';
const TOKEN = { message: 'must be an RFC 9110 token (a header name).', fix: "use only letters, digits and !#$%&'*+-.^_`|~ (no spaces, colons, CR or LF)." };

describe('header names in config', () => {
  test.each([
    ['cors allowHeaders', { cors: { allowHeaders: [BAD] } }, '/routes/0/plugins/cors/allowHeaders/0'],
    ['cors exposeHeaders', { cors: { exposeHeaders: [BAD] } }, '/routes/0/plugins/cors/exposeHeaders/0'],
    ['key-auth header', { 'key-auth': { header: BAD } }, '/routes/0/plugins/key-auth/header'],
    ['jwt-auth header', { 'jwt-auth': { header: BAD } }, '/routes/0/plugins/jwt-auth/header'],
    ['jwt-auth cookie', { 'jwt-auth': { cookie: BAD } }, '/routes/0/plugins/jwt-auth/cookie'],
    ['rate-limit header', { 'rate-limit': { limits: [{ count: 1, windowMs: 1000 }], key: ['header'], header: BAD } }, '/routes/0/plugins/rate-limit/header'],
    [
      'traffic-split header',
      { 'traffic-split': { rules: [{ match: [{ header: BAD }], upstreams: [{ upstream: 'canary' }] }] } },
      '/routes/0/plugins/traffic-split/rules/0/match/0/header',
    ],
    [
      'traffic-split cookie',
      { 'traffic-split': { rules: [{ match: [{ cookie: BAD }], upstreams: [{ upstream: 'canary' }] }] } },
      '/routes/0/plugins/traffic-split/rules/0/match/0/cookie',
    ],
  ])('%s is refused with the exact message', (_where, plugins, path) => {
    expect(check(documentWith(plugins)).problems).toEqual([{ path, ...TOKEN }]);
  });

  it('a route header match name and a balancer hashKey are refused with the exact message', () => {
    const document = {
      upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }], balancer: { algorithm: 'consistent-hash', hashOn: 'header', hashKey: BAD } }],
      routes: [{ id: 'r', paths: ['/'], upstream: 'u', headers: [{ name: BAD, value: '1' }] }],
    };
    expect(check(document).problems).toEqual([
      { path: '/routes/0/headers/0/name', ...TOKEN },
      { path: '/upstreams/0/balancer/hashKey', ...TOKEN },
    ]);
  });

  it('basic-auth realm (written into WWW-Authenticate) refuses CR, LF and NUL', () => {
    for (const realm of ['a\r\nSet-Cookie: x=1', 'a\u0000b', 'a"b']) expect(check(documentWith({ 'basic-auth': { realm } })).problems.map((p) => p.path)).toEqual(['/routes/0/plugins/basic-auth/realm']);
    expect(check(documentWith({ 'basic-auth': { realm: 'Staff area (2026)' } })).problems).toEqual([]);
  });
});
