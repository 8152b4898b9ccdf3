import { Flag, PacketType } from './constants';
import { decodePacket, encodePacket, isReply } from './packet';

/**
 * Fills the free rest of Buffer's shared allocation pool with 0xff, so that the next small
 * `Buffer.allocUnsafe()` (the encoder's) starts out dirty rather than, by luck, zeroed.
 */
function dirtyAllocationPool(): void {
  let probe = Buffer.allocUnsafe(1);
  for (let i = 0; i < 2048 && probe.buffer.byteLength - probe.byteOffset < 256; i++) probe = Buffer.allocUnsafe(8);
  const rest = new Uint8Array(probe.buffer, probe.byteOffset + 1);
  expect(rest.length).toBeGreaterThanOrEqual(255);
  rest.fill(0xff);
}

describe('encodePacket', () => {
  it('writes zero pad bytes even where the allocated memory was dirty', () => {
    // 20-byte header + '/x' + data, padded to a multiple of 4.
    for (const [dataLength, pad] of [
      [1, 1],
      [0, 2],
      [3, 3],
    ]) {
      dirtyAllocationPool();
      const packet = encodePacket({ type: PacketType.DATAGRAM, url: '/x', data: Buffer.alloc(dataLength, 0xaa) });
      expect(packet).toHaveLength(22 + dataLength + pad);
      expect(packet[2] >> 6).toBe(pad);
      expect([...packet.subarray(packet.length - pad)]).toEqual(new Array(pad).fill(0));
    }
  });
});

describe('isReply', () => {
  it('is true only for a packet with the REPLY flag', () => {
    const request = decodePacket(encodePacket({ type: PacketType.RPC, url: '/a', flags: Flag.SET | Flag.TUNNEL }));
    const reply = decodePacket(encodePacket({ type: PacketType.RPC, flags: Flag.REPLY }));
    expect(isReply(request)).toBe(false);
    expect(isReply(reply)).toBe(true);
  });
});
