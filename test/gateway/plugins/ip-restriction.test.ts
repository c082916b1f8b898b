import { request } from 'undici';
import { createPluginRegistry } from '../../../gateway/src/plugins';
import { oneRoute, startGateway, type Gateway } from '../data-plane/proxy/harness';
import { startUpstream, type TestUpstream } from '../data-plane/upstream/servers';
import { chainFor, check, decide, documentWith, fakeContext, filled } from './harness';

const FORBIDDEN = { status: 403, error: 'GW_ERR_FORBIDDEN' };

describe('ip-restriction', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('ip-restriction', { allow: ['10.0.0.0/8'] })).toEqual({ allow: ['10.0.0.0/8'] });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'ip-restriction': { allow: '10.0.0.0/8' } })).problems).toEqual([
      { path: '/routes/0/plugins/ip-restriction/allow', message: 'must be array.', fix: 'use a value of type array.' },
    ]);
  });

  it('rejects bad CIDRs and a config that restricts nothing', () => {
    expect(check(documentWith({ 'ip-restriction': { deny: ['10.0.0.0/33', '2001:db8::/129', 'example.com'] } })).problems.map((p) => p.path)).toEqual([
      '/routes/0/plugins/ip-restriction/deny/0',
      '/routes/0/plugins/ip-restriction/deny/1',
      '/routes/0/plugins/ip-restriction/deny/2',
    ]);
    expect(check(documentWith({ 'ip-restriction': {} })).problems).toEqual([
      { path: '/routes/0/plugins/ip-restriction', message: 'neither allow nor deny is given, so the plugin would do nothing.', fix: 'give an allow list, a deny list, or both.' },
    ]);
  });

  it('allows IPv4 and IPv6 ranges (IPv4-mapped addresses count as IPv4) and refuses the rest', async () => {
    const { chain, config } = chainFor(documentWith({ 'ip-restriction': { allow: ['10.0.0.0/8', '2001:db8::/32'] } }));
    for (const ok of ['10.1.2.3', '::ffff:10.9.9.9', '2001:db8::1'])
      expect(await decide(chain, fakeContext(config, { remoteAddress: ok }))).toBeUndefined();
    for (const no of ['11.0.0.1', '2001:db9::1', '::1', 'garbage'])
      expect(await decide(chain, fakeContext(config, { remoteAddress: no }))).toEqual(FORBIDDEN);
  });

  it('lets deny win over allow', async () => {
    const { chain, config } = chainFor(documentWith({ 'ip-restriction': { allow: ['10.0.0.0/8'], deny: ['10.6.6.0/24'] } }));
    expect(await decide(chain, fakeContext(config, { remoteAddress: '10.6.6.6' }))).toEqual(FORBIDDEN);
    expect(await decide(chain, fakeContext(config, { remoteAddress: '10.6.7.6' }))).toBeUndefined();
  });

  it('believes X-Forwarded-For only through trusted proxies', async () => {
    const { chain, config } = chainFor(documentWith({ 'ip-restriction': { deny: ['203.0.113.7'], trustedProxies: ['172.16.0.0/12'] } }));
    // From a trusted load balancer: the rightmost untrusted hop is the client.
    expect(await decide(chain, fakeContext(config, { remoteAddress: '172.16.0.5', headers: { 'x-forwarded-for': '1.1.1.1, 203.0.113.7, 172.16.0.9' } }))).toEqual(FORBIDDEN);
    // A client forging the header directly is judged by its socket address.
    expect(await decide(chain, fakeContext(config, { remoteAddress: '198.51.100.1', headers: { 'x-forwarded-for': '203.0.113.8' } }))).toBeUndefined();
    // Forging a leftmost hop through the trusted proxy does not help: the proxy appended the real address.
    expect(await decide(chain, fakeContext(config, { remoteAddress: '172.16.0.5', headers: { 'x-forwarded-for': '10.0.0.1, 203.0.113.7' } }))).toEqual(FORBIDDEN);
  });
});

describe('ip-restriction behind the load balancers of the process-wide trustedProxies setting', () => {
  let upstream: TestUpstream;
  const gateways: Gateway[] = [];
  beforeAll(async () => {
    upstream = await startUpstream((_req, res) => res.end('ok'));
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await upstream.close();
  });

  const denying = (trustedProxies: string) =>
    startGateway(oneRoute([upstream.port], { plugins: { 'ip-restriction': { deny: ['203.0.113.7'] } } }), { plugins: createPluginRegistry(), trustedProxies }).then((g) => (gateways.push(g), g));
  const statusFrom = async (g: Gateway, forwardedFor: string) => (await request(`${g.origin}/x`, { headers: { 'x-forwarded-for': forwardedFor } })).statusCode;

  it('without a list of its own, the plugin judges the client address worked out through the setting', async () => {
    // The test client (127.0.0.1) is the trusted load balancer: the hop it forwarded is the client.
    expect(await statusFrom(await denying('127.0.0.1'), '203.0.113.7')).toBe(403);
    // Nobody trusted: the header is client input and the socket peer is judged.
    expect(await statusFrom(await denying(''), '203.0.113.7')).toBe(200);
  });
});
