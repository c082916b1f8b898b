import { parseTrustedProxies } from '../../../gateway/src/core/client-address';
import { GatehouseError } from '../../../gateway/src/core/errors';

describe('trustedProxies setting', () => {
  it('trusts nobody when empty', () => {
    const trusted = parseTrustedProxies(' ');
    expect(trusted('127.0.0.1')).toBe(false);
  });

  it('matches IPv4 and IPv6 ranges and single addresses, IPv4-mapped peers included', () => {
    const trusted = parseTrustedProxies('10.0.0.0/16, fd00::/8,192.0.2.7');
    expect(trusted('10.0.255.1')).toBe(true);
    expect(trusted('::ffff:10.0.3.4')).toBe(true);
    expect(trusted('10.1.0.1')).toBe(false);
    expect(trusted('fd12::1')).toBe(true);
    expect(trusted('2001:db8::1')).toBe(false);
    expect(trusted('192.0.2.7')).toBe(true);
    expect(trusted('192.0.2.8')).toBe(false);
    expect(trusted('not-an-address')).toBe(false);
  });

  it('names every bad entry and the fix', () => {
    let error: GatehouseError | undefined;
    try {
      parseTrustedProxies('10.0.0.0/33, lb.internal, 10.0.0.1');
    } catch (e) {
      error = e as GatehouseError;
    }
    expect(error?.code).toBe('GW_ERR_SETTINGS_INVALID');
    expect(error?.problems).toEqual(
      ['10.0.0.0/33', 'lb.internal'].map((entry) => ({
        path: '/settings/trustedProxies',
        message: `"${entry}" is not an IP address or CIDR range (setting trustedProxies, env GATEHOUSE_TRUSTED_PROXIES).`,
        fix: 'give comma-separated addresses or CIDR ranges, e.g. "10.0.0.0/16, fd00::/8".',
      })),
    );
  });
});
