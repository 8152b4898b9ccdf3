/**
 * Seeded generators of bad VSOA input: well-framed junk (every field random, lengths honest),
 * mutated packets (one header field broken), raw junk and the known killer vectors.
 */
import { Flag, HEADER_LENGTH, MAX_PACKET_LENGTH, MAX_QUICK_PACKET_LENGTH, PacketType, VSOA_MAGIC } from '@vsoa/core';
import { Rng } from './rng';
import { CAP_PLUS_ONE_HEADER, GIB_HEADER, handshakePacket, header, WRAP24 } from './wire';

const TWO_32 = 0x100000000;
const KNOWN_TYPES = new Set<number>(Object.values(PacketType));
const EMPTY = Buffer.alloc(0);
const ECHO = Buffer.from('/echo');
const ROOT = Buffer.from('/');

/** Packet types by weight; -1 stands for an unknown type. */
const TYPES: ReadonlyArray<readonly [number, number]> = [
  [25, PacketType.RPC],
  [12, PacketType.SUBSCRIBE],
  [8, PacketType.UNSUBSCRIBE],
  [15, PacketType.DATAGRAM],
  [10, PacketType.PINGECHO],
  [5, PacketType.NOOP],
  [3, PacketType.QOSSETUP],
  [5, PacketType.PUBLISH],
  [16, -1],
];
const FLAGS: ReadonlyArray<readonly [number, number]> = [
  [50, 0],
  [25, Flag.SET],
  [12, Flag.REPLY],
  [13, Flag.TUNNEL],
];
const ODD_URLS = ['echo', '//', '/a/', '/\u00e9\u4e2d\u{1f697}', '/slow/no'].map((u) => Buffer.from(u));
/** Valid JSON that is not an object, or an object with surprises. */
const ODD_JSON = ['null', '1', '"s"', 'true', '[1,2]', '{}', '{"passwd":"x"}', '-0', '1e999', '{"__proto__":{"a":1}}'].map((j) =>
  Buffer.from(j),
);
const BAD_JSON = ['{', '{"a":', 'nope', '\u0000', '[1,]', '{"a":1}}', "{'a':1}", '\ufeff{}', '"\\ud800"'].map((j) => Buffer.from(j));
/** List items that make a list (un)subscribe invalid. */
const LIST_JUNK = ['1', 'null', '"no-slash"', '["/nested"]', '{"url":"/a"}', '""', 'true'];
const LIST_LENGTHS: ReadonlyArray<readonly [number, number]> = [
  [30, 0],
  [50, 3],
  [15, 20],
  [5, 500],
];

export interface FuzzOptions {
  passwd: string;
  /** Include length fields that sum past 2^32 (the official server dies on them). */
  wrap: boolean;
}

/** What a TCP connection of the fuzzer does. */
export type StreamKind = 'session' | 'pre-handshake' | 'wrong-password';
/** How the last packets of a session end it. */
export type Finale = 'end' | 'destroy' | 'truncated' | 'mutated' | 'vector' | 'junk';

/** Frames a packet from raw parts (a URL may be any bytes), with honest lengths and pad. */
function frame(
  type: number,
  flags: number,
  status: number,
  seqno: number,
  tunid: number,
  url: Buffer,
  param: Buffer,
  data: Buffer,
): Buffer {
  const body = HEADER_LENGTH + url.length + param.length + data.length;
  const pad = (4 - (body & 3)) & 3;
  const head = header({
    type,
    flags: (flags & 0x3f) | (pad << 6),
    status,
    seqno,
    tunid,
    urlLen: url.length,
    paramLen: param.length,
    dataLen: data.length,
  });
  return Buffer.concat([head, url, param, data, Buffer.alloc(pad)]);
}

/** The sum a header declares, pad included, without 32-bit wrap. */
function declared(packet: Buffer): number {
  return HEADER_LENGTH + packet.readUInt16BE(10) + packet.readUInt32BE(12) + packet.readUInt32BE(16) + (packet[2] >>> 6);
}

export class FuzzGen {
  constructor(
    private readonly rng: Rng,
    private readonly options: FuzzOptions,
  ) {}

  /** A well-framed packet with random fields: the server must cope without closing. */
  benign(): Buffer {
    const rng = this.rng;
    const type = rng.weighted(TYPES);
    const flags = rng.bool(0.2) ? rng.int(0x40) : rng.weighted(FLAGS);
    const listRequest = (type === PacketType.SUBSCRIBE || type === PacketType.UNSUBSCRIBE) && rng.bool(0.4);
    const url = listRequest ? EMPTY : this.url();
    const param = listRequest ? this.junkList() : this.param();
    const room = MAX_PACKET_LENGTH - HEADER_LENGTH - 3 - url.length - param.length;
    const data = this.data(Math.max(0, room));
    return frame(type < 0 ? this.unknownType() : type, flags, rng.int(256), rng.u32(), rng.int(0x10000), url, param, data);
  }

  /** A packet with one header field (or its bytes) broken. */
  mutated(): Buffer {
    const rng = this.rng;
    const packet = Buffer.from(this.benign());
    const urlLen = packet.readUInt16BE(10);
    const paramLen = packet.readUInt32BE(12);
    const dataLen = packet.readUInt32BE(16);
    switch (rng.int(this.options.wrap ? 10 : 9)) {
      case 0:
        packet[0] = (VSOA_MAGIC + 1 + rng.int(255)) & 0xff; // bad magic
        break;
      case 1:
        packet[2] = rng.int(256); // flags, pad bits included
        break;
      case 2:
        packet.writeUInt16BE(rng.int(0x10000), 10);
        break;
      case 3:
        packet.writeUInt32BE(rng.u32(), 12);
        break;
      case 4:
        packet.writeUInt32BE(rng.u32(), 16);
        break;
      case 5:
        packet.writeUInt32BE(rng.int(urlLen + paramLen + dataLen + 64), rng.pick([12, 16])); // a small lie
        break;
      case 6:
        return packet.subarray(0, rng.int(packet.length)); // truncated
      case 7:
        for (let i = 0, n = 1 + rng.int(8); i < n; i++) packet[rng.int(packet.length)] ^= 1 << rng.int(8);
        break;
      case 8:
        return Buffer.concat([packet, this.rng.bytes(1 + rng.int(40))]); // trailing bytes
      case 9: {
        // param + data lengths past 2^32, summing back to the real length
        const shift = dataLen + 1 + rng.int(TWO_32 - paramLen - dataLen - 1);
        packet.writeUInt32BE(paramLen + shift, 12);
        packet.writeUInt32BE(dataLen - shift + TWO_32, 16);
        break;
      }
    }
    return this.options.wrap ? packet : this.unwrapped(packet);
  }

  /** Bytes that are no packet at all (sometimes starting with the magic). */
  junk(max = 512): Buffer {
    const bytes = this.rng.bytes(1 + this.rng.int(max));
    if (this.rng.bool(0.3)) bytes[0] = VSOA_MAGIC;
    return bytes;
  }

  /** One of the known hostile headers. */
  vector(): Buffer {
    const choices = [
      GIB_HEADER,
      CAP_PLUS_ONE_HEADER,
      header({ magic: 0x92, type: PacketType.RPC }),
      header({ type: this.unknownType(), seqno: this.rng.u32() }),
      header({ type: PacketType.SERVINFO, paramLen: MAX_PACKET_LENGTH }),
    ];
    if (this.options.wrap) {
      choices.push(WRAP24, header({ type: PacketType.RPC, urlLen: 0xffff, paramLen: 0xffffffff, dataLen: 0xffffffff }));
    }
    return this.rng.pick(choices);
  }

  /** The packets of one TCP connection, handshake to finale. */
  *stream(kind: StreamKind, finale: Finale): Generator<Buffer> {
    const rng = this.rng;
    if (kind === 'pre-handshake') {
      for (let i = 0, n = 1 + rng.int(8); i < n; i++) yield this.anything();
      return;
    }
    yield handshakePacket(kind === 'session' ? this.options.passwd : `not-${this.options.passwd}`, rng.u32());
    for (let i = 0, n = kind === 'session' ? rng.between(50, 3000) : rng.int(4); i < n; i++) yield this.benign();
    if (finale === 'truncated') yield this.benign().subarray(0, 1 + rng.int(HEADER_LENGTH + 8));
    else if (finale === 'mutated') yield this.mutated();
    else if (finale === 'vector') yield this.vector();
    else if (finale === 'junk') yield this.junk();
  }

  /** A datagram for the quick (UDP) port; `ids` are client ids worth claiming. */
  datagram(ids: readonly number[]): Buffer {
    const rng = this.rng;
    const pick = rng.int(100);
    let packet: Buffer;
    if (pick < 15) packet = rng.bytes(rng.int(1500));
    else if (pick < 20) packet = rng.bytes(rng.int(HEADER_LENGTH));
    else if (pick < 30) packet = this.junk(1500);
    else if (pick < 35) packet = this.vector();
    else if (pick < 60) {
      packet = this.benign();
      packet[1] = PacketType.DATAGRAM;
      packet.writeUInt32BE(rng.bool(0.6) && ids.length > 0 ? rng.pick(ids) : rng.u32(), 4);
    } else if (pick < 75) packet = this.benign();
    else if (pick < 95) packet = this.mutated();
    else packet = this.benign().subarray(0, HEADER_LENGTH + rng.int(64));
    return packet.length > MAX_QUICK_PACKET_LENGTH ? packet.subarray(0, MAX_QUICK_PACKET_LENGTH) : packet;
  }

  /** Anything: what a connection that skipped the handshake sends. */
  private anything(): Buffer {
    const pick = this.rng.int(100);
    if (pick < 40) return this.benign();
    if (pick < 65) return this.mutated();
    if (pick < 80) return this.junk();
    if (pick < 90) return this.vector();
    return handshakePacket(this.rng.bool() ? this.options.passwd : 'guess', this.rng.u32());
  }

  /** Keeps the declared lengths below 2^32 in sum (for a server that must not see a wrap). */
  private unwrapped(packet: Buffer): Buffer {
    if (packet.length >= HEADER_LENGTH && declared(packet) >= TWO_32) packet.writeUInt32BE(this.rng.int(1 << 20), 16);
    if (packet.length >= HEADER_LENGTH && declared(packet) >= TWO_32) packet.writeUInt32BE(this.rng.int(1 << 20), 12);
    return packet;
  }

  private unknownType(): number {
    let type: number;
    do type = this.rng.int(256);
    while (KNOWN_TYPES.has(type));
    return type;
  }

  private url(): Buffer {
    const rng = this.rng;
    const pick = rng.int(58);
    if (pick < 20) return ECHO;
    if (pick < 25) return ROOT;
    if (pick < 35) return Buffer.from(`/fuzz/${rng.u32().toString(36)}`);
    if (pick < 45) return EMPTY;
    if (pick < 50) return rng.pick(ODD_URLS);
    if (pick < 55) return Buffer.concat([ROOT, rng.bytes(rng.int(64))]); // not UTF-8
    return Buffer.from('/' + 'u'.repeat(rng.int(4000)));
  }

  private param(): Buffer {
    const rng = this.rng;
    const pick = rng.int(100);
    if (pick < 30) return EMPTY;
    if (pick < 45) return Buffer.from(JSON.stringify({ n: rng.u32(), s: 'x'.repeat(rng.int(100)) }));
    if (pick < 55) return rng.pick(ODD_JSON);
    if (pick < 70) return rng.pick(BAD_JSON);
    if (pick < 80) return rng.bytes(rng.int(200));
    if (pick < 81) return Buffer.from('['.repeat(rng.int(50_000)) + ']'.repeat(rng.int(50_000)));
    if (pick < 85) return Buffer.from(JSON.stringify({ big: rng.bytes(rng.int(30_000)).toString('base64') }));
    if (pick < 90) return Buffer.from(JSON.stringify('y'.repeat(rng.int(60_000))));
    return this.junkList();
  }

  /** A JSON list of URLs for a list (un)subscribe, mostly with junk in it. */
  private junkList(): Buffer {
    const rng = this.rng;
    const length = rng.weighted(LIST_LENGTHS);
    const items: string[] = [];
    for (let i = 0; i < length; i++) items.push(rng.int(10) < 4 ? `"/list/${rng.int(1000)}"` : rng.pick(LIST_JUNK));
    return Buffer.from(`[${items.join(',')}]`);
  }

  private data(room: number): Buffer {
    const rng = this.rng;
    const pick = rng.int(100);
    const size = pick < 50 ? 0 : pick < 85 ? 1 + rng.int(64) : pick < 99 ? rng.int(4096) : rng.int(100_000);
    return size === 0 ? EMPTY : rng.bytes(Math.min(size, room));
  }
}
