import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_PACKET_LENGTH, MAX_QUICK_PACKET_LENGTH, PacketType, Flag } from './constants';
import { encodePacket, VsoaPacket } from './packet';
import { PacketParser, parseDatagram } from './parser';
import type { VsoaProtocolError } from '../errors';

interface Vector {
  dir: string;
  transport: string;
  desc: string;
  hex: string;
}

const vectors: Vector[] = JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/official-capture.json'), 'utf8')).packets;
const tcpVectors = vectors.filter((v) => v.transport === 'tcp');

function parseAll(chunks: Buffer[]): { packets: VsoaPacket[]; errors: VsoaProtocolError[]; parser: PacketParser } {
  const packets: VsoaPacket[] = [];
  const errors: VsoaProtocolError[] = [];
  const parser = new PacketParser(
    (p) => packets.push(p),
    (e) => errors.push(e),
  );
  for (const chunk of chunks) parser.push(chunk);
  return { packets, errors, parser };
}

/** Splits a buffer into pieces of the given size. */
function chop(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** Number of VSOA packets a captured TCP chunk holds, counted by walking declared lengths. */
function countPackets(buf: Buffer): number {
  let n = 0;
  for (let at = 0; at < buf.length; n++) {
    at += 20 + buf.readUInt16BE(at + 10) + buf.readUInt32BE(at + 12) + buf.readUInt32BE(at + 16) + (buf[at + 2] >> 6);
  }
  return n;
}

describe('PacketParser on the official capture', () => {
  it('has the captured vectors to test against', () => {
    expect(tcpVectors.length).toBeGreaterThan(10);
  });

  it.each(tcpVectors.map((v) => [v.desc, v] as const))('decodes %s', (_desc, vector) => {
    const bytes = Buffer.from(vector.hex, 'hex');
    const { packets, errors, parser } = parseAll([bytes]);
    expect(errors).toEqual([]);
    expect(packets).toHaveLength(countPackets(bytes));
    expect(parser.buffered).toBe(0);
    // Re-encoding gives the same bytes except the pad, which the official package leaves dirty.
    let at = 0;
    for (const p of packets) {
      const again = encodePacket({ ...p, flags: p.flags });
      const original = bytes.subarray(at, at + again.length);
      const unpadded = again.length - (again[2] >> 6);
      expect(again.subarray(0, unpadded).toString('hex')).toBe(original.subarray(0, unpadded).toString('hex'));
      at += again.length;
    }
  });

  it('decodes the same packets whether fed whole, in one chunk, or one byte at a time', () => {
    const all = Buffer.concat(tcpVectors.map((v) => Buffer.from(v.hex, 'hex')));
    const whole = parseAll([all]).packets;
    for (const size of [1, 3, 7, 20, 21, 64]) {
      const { packets, errors } = parseAll(chop(all, size));
      expect(errors).toEqual([]);
      expect(packets.map((p) => [p.type, p.seqno, p.url, p.param.toString('hex'), p.data.toString('hex')])).toEqual(
        whole.map((p) => [p.type, p.seqno, p.url, p.param.toString('hex'), p.data.toString('hex')]),
      );
    }
  });

  it('reads the fields of the handshake, RPC and publish vectors', () => {
    const byDesc = (s: string): VsoaPacket => {
      const v = tcpVectors.find((x) => x.desc.includes(s));
      if (!v) throw new Error(`no vector ${s}`);
      return parseAll([Buffer.from(v.hex, 'hex')]).packets[0];
    };
    const hello = byDesc('handshake request');
    expect(hello.type).toBe(PacketType.SERVINFO);
    expect(hello.flags & Flag.TUNNEL).toBeTruthy();
    expect(JSON.parse(hello.param.toString())).toEqual({ passwd: 'pw' });
    const set = byDesc('RPC SET /echo');
    expect(set).toMatchObject({ type: PacketType.RPC, url: '/echo', seqno: 1 });
    expect(set.flags & Flag.SET).toBeTruthy();
    expect(set.data).toEqual(Buffer.from([1, 2, 3]));
    const reply = byDesc('handshake reply');
    expect(reply.flags & Flag.REPLY).toBeTruthy();
    expect(reply.data.readUInt32BE(0)).toBe(0);
    expect(byDesc('status 130').status).toBe(130);
  });

  it('decodes the captured quick publish as a datagram', () => {
    const v = vectors.find((x) => x.transport === 'udp');
    const packet = parseDatagram(Buffer.from(v!.hex, 'hex'), MAX_QUICK_PACKET_LENGTH);
    expect(packet).toMatchObject({ type: PacketType.PUBLISH, url: '/a/y' });
    expect(JSON.parse(packet!.param.toString())).toEqual({ q: 1 });
  });
});

describe('PacketParser rejects bad input', () => {
  it('reports a bad magic byte and ignores everything after it', () => {
    const good = encodePacket({ type: PacketType.PINGECHO, seqno: 9 });
    const bad = Buffer.from(good);
    bad[0] = 0x28;
    const { packets, errors, parser } = parseAll([good, bad, good]);
    expect(packets).toHaveLength(1);
    expect(errors.map((e) => [e.code, e.message])).toEqual([['BAD_MAGIC', 'bad magic byte 0x28']]);
    expect(parser.failed).toBe(true);
  });

  it('rejects the 24-byte packet whose lengths wrap 2^32 before buffering anything', () => {
    const wrap = Buffer.from('290100000000000100000004' + '00000000' + 'fffffffc' + '2f2f2f2f', 'hex');
    expect(wrap).toHaveLength(24);
    const { packets, errors, parser } = parseAll([wrap]);
    expect(packets).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(['TOO_LARGE']);
    expect(parser.buffered).toBe(0);
  });

  it.each([
    ['1 GiB of data', 0, 1024 ** 3],
    ['the cap plus one', 0, MAX_PACKET_LENGTH - 20 + 1],
    ['a huge param', 0xfffffff0, 0],
  ])('rejects a header declaring %s, even fed a byte at a time', (_what, paramLength, dataLength) => {
    const header = encodePacket({ type: PacketType.RPC, url: '/x' }).subarray(0, 20);
    header.writeUInt32BE(paramLength, 12);
    header.writeUInt32BE(dataLength, 16);
    const { errors, parser } = parseAll(chop(header, 1));
    expect(errors.map((e) => e.code)).toEqual(['TOO_LARGE']);
    const declared = 20 + 2 + paramLength + dataLength + 2;
    expect(errors[0].message).toBe(`declared packet length ${declared} exceeds ${MAX_PACKET_LENGTH}`);
    expect(parser.buffered).toBe(0);
  });

  it('accepts a packet of exactly the cap', () => {
    const data = Buffer.alloc(MAX_PACKET_LENGTH - 20 - 4, 7);
    const packet = encodePacket({ type: PacketType.RPC, url: '/big', data });
    expect(packet).toHaveLength(MAX_PACKET_LENGTH);
    const { packets, errors } = parseAll(chop(packet, 65536));
    expect(errors).toEqual([]);
    expect(packets[0].data.equals(data)).toBe(true);
  });

  it('holds a truncated packet without emitting it', () => {
    const packet = encodePacket({ type: PacketType.RPC, url: '/echo', data: Buffer.alloc(100) });
    const { packets, errors, parser } = parseAll([packet.subarray(0, 50)]);
    expect(packets).toEqual([]);
    expect(errors).toEqual([]);
    expect(parser.buffered).toBe(50);
    expect(parser.failed).toBe(false);
  });

  it('counts the bytes of a header still incomplete as buffered', () => {
    const packet = encodePacket({ type: PacketType.RPC, url: '/echo', data: Buffer.alloc(100) });
    const { packets, parser } = parseAll(chop(packet.subarray(0, 13), 1));
    expect(packets).toEqual([]);
    expect(parser.buffered).toBe(13);
    parser.push(packet.subarray(13));
    expect(parser.buffered).toBe(0);
  });

  it('reports a consumer that throws instead of throwing out of push()', () => {
    const errors: string[] = [];
    const parser = new PacketParser(
      () => {
        throw new Error('boom');
      },
      (e) => errors.push(e.code),
    );
    expect(() => parser.push(encodePacket({ type: PacketType.NOOP }))).not.toThrow();
    expect(errors).toEqual(['HANDLER']);
  });

  it('says what the consumer threw, even when it threw no Error', () => {
    const messages: string[] = [];
    for (const thrown of [new Error('boom'), undefined]) {
      const parser = new PacketParser(
        () => {
          throw thrown;
        },
        (e) => messages.push(e.message),
      );
      parser.push(encodePacket({ type: PacketType.NOOP }));
    }
    expect(messages).toEqual(['packet handler threw: boom', 'packet handler threw: undefined']);
  });

  it('parseDatagram refuses short, bad-magic, over-long and over-declared datagrams', () => {
    const ok = encodePacket({ type: PacketType.DATAGRAM, url: '/d', param: Buffer.from('{}') });
    expect(parseDatagram(ok, MAX_QUICK_PACKET_LENGTH)).not.toBeNull();
    const headerOnly = encodePacket({ type: PacketType.PINGECHO, seqno: 3 });
    expect(headerOnly).toHaveLength(20);
    expect(parseDatagram(headerOnly, MAX_QUICK_PACKET_LENGTH)).toMatchObject({ type: PacketType.PINGECHO, seqno: 3 });
    expect(parseDatagram(ok.subarray(0, 10), MAX_QUICK_PACKET_LENGTH)).toBeNull();
    const badMagic = Buffer.from(ok);
    badMagic[0] = 0;
    expect(parseDatagram(badMagic, MAX_QUICK_PACKET_LENGTH)).toBeNull();
    const lying = Buffer.from(ok);
    lying.writeUInt32BE(1000, 16);
    expect(parseDatagram(lying, MAX_QUICK_PACKET_LENGTH)).toBeNull();
    expect(parseDatagram(Buffer.concat([ok, Buffer.alloc(70000)]), MAX_QUICK_PACKET_LENGTH)).toBeNull();
  });

  it('parseDatagram accepts a datagram of exactly the cap, and refuses one byte more', () => {
    const packet = encodePacket({ type: PacketType.DATAGRAM, url: '/d', data: Buffer.alloc(100) });
    expect(packet).toHaveLength(124);
    expect(parseDatagram(packet, 124)).toMatchObject({ type: PacketType.DATAGRAM, url: '/d' });
    expect(parseDatagram(packet, 123)).toBeNull();
  });
});

describe('encodePacket', () => {
  it('pads to a multiple of 4 with zero bytes and records the pad length in the flags', () => {
    for (let n = 0; n < 8; n++) {
      const p = encodePacket({ type: PacketType.DATAGRAM, url: '/x', data: Buffer.alloc(n, 0xff), flags: Flag.SET });
      expect(p.length % 4).toBe(0);
      const pad = p[2] >> 6;
      expect(p.length).toBe(20 + 2 + n + pad);
      expect(p[2] & 0x3f).toBe(Flag.SET);
      expect([...p.subarray(p.length - pad)]).toEqual(new Array(pad).fill(0));
    }
  });

  it('encodes multi-byte UTF-8 URLs by byte length', () => {
    const p = encodePacket({ type: PacketType.RPC, url: '/车灯' });
    const { packets } = parseAll([p]);
    expect(packets[0].url).toBe('/车灯');
    expect(p.readUInt16BE(10)).toBe(Buffer.byteLength('/车灯'));
  });
});
