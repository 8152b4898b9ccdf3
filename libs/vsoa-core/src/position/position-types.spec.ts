import { AF_UNSPEC, MAX_POSITION_MESSAGE_BYTES, readPositionJson, toPositionEntry } from './position-types';

describe('toPositionEntry', () => {
  it('fills the defaults: domain from the address, security false, the fallback name', () => {
    expect(toPositionEntry({ addr: '10.0.0.1', port: 1 }, 'svc')).toEqual({
      name: 'svc',
      addr: '10.0.0.1',
      port: 1,
      domain: 2,
      security: false,
    });
    expect(toPositionEntry({ name: 'Cam', addr: '::1', port: 65535, security: true }, 'svc')).toEqual({
      name: 'Cam',
      addr: '::1',
      port: 65535,
      domain: 10,
      security: true,
    });
  });

  it('takes a null domain or security as absent', () => {
    expect(toPositionEntry({ addr: '10.0.0.1', port: 1, domain: null, security: null }, 'svc')).toEqual({
      name: 'svc',
      addr: '10.0.0.1',
      port: 1,
      domain: 2,
      security: false,
    });
  });

  it('says why an entry is unusable', () => {
    for (const value of [null, [], 'svc', 42]) expect(toPositionEntry(value, 'svc')).toBe('not an object');
    expect(toPositionEntry({ name: 7, addr: '10.0.0.1', port: 1 }, 'svc')).toBe('bad name');
    expect(toPositionEntry({ addr: '10.0.0.1', port: 1 }, '')).toBe('bad name');
    expect(toPositionEntry({ port: 1 }, 'svc')).toBe('no address');
    expect(toPositionEntry({ addr: 'example.com', port: 1 }, 'svc')).toBe('address "example.com" is not an IP address');
    expect(toPositionEntry({ addr: '10.0.0.1', port: 65536 }, 'svc')).toBe('bad port 65536');
    expect(toPositionEntry({ addr: '10.0.0.1', port: 0 }, 'svc')).toBe('bad port 0');
    expect(toPositionEntry({ addr: '10.0.0.1', port: 1.5 }, 'svc')).toBe('bad port 1.5');
    expect(toPositionEntry({ addr: '10.0.0.1', port: '1' }, 'svc')).toBe('bad port 1');
    expect(toPositionEntry({ addr: '10.0.0.1', port: 1, domain: 10 }, 'svc')).toBe('domain 10 does not match address 10.0.0.1');
    expect(toPositionEntry({ addr: '10.0.0.1', port: 1, security: 'yes' }, 'svc')).toBe('security is not a boolean');
  });
});

describe('readPositionJson', () => {
  it('reads a datagram of up to 2048 bytes and refuses a bigger one', () => {
    expect(MAX_POSITION_MESSAGE_BYTES).toBe(2048);
    const json = (size: number): Buffer => {
      const text = JSON.stringify({ name: 'svc', pad: '' });
      return Buffer.from(JSON.stringify({ name: 'svc', pad: 'x'.repeat(size - text.length) }));
    };
    expect(json(2048)).toHaveLength(2048);
    expect(readPositionJson(json(2048))).toEqual({ value: { name: 'svc', pad: expect.any(String) } });
    expect(readPositionJson(json(2049))).toBe('too big (2049 bytes)');
    expect(readPositionJson(Buffer.from('{"name":'))).toBe('not JSON');
  });
});

describe('AF_UNSPEC', () => {
  it("is the seed's -1", () => {
    expect(AF_UNSPEC).toBe(-1);
  });
});
