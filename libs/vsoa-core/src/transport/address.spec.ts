import { normalizeAddress } from './address';

describe('normalizeAddress', () => {
  it('strips the IPv4-mapped IPv6 prefix, so that a TCP and a UDP address of one peer compare equal', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
  });

  it('leaves IPv4 and other IPv6 addresses as they are', () => {
    expect(normalizeAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::1')).toBe('::1');
    // A prefix of ::ffff: without a dotted quad is an ordinary IPv6 address.
    expect(normalizeAddress('::ffff:7f00:1')).toBe('::ffff:7f00:1');
    expect(normalizeAddress('fe80::ffff:1.2.3.4')).toBe('fe80::ffff:1.2.3.4');
  });
});
