/** Hand-made VSOA bytes: headers with lying lengths, and the packets every case needs. */
import { encodePacket, HEADER_LENGTH, MAX_PACKET_LENGTH, PacketType, VSOA_MAGIC } from '@vsoa/core';

/** Header fields, lengths included, so that a header may declare what its body is not. */
export interface HeaderFields {
  magic?: number;
  type: number;
  flags?: number;
  status?: number;
  seqno?: number;
  tunid?: number;
  urlLen?: number;
  paramLen?: number;
  dataLen?: number;
}

/** A 20-byte header with whatever lengths it is given. */
export function header(fields: HeaderFields): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH);
  out[0] = fields.magic ?? VSOA_MAGIC;
  out[1] = fields.type;
  out[2] = fields.flags ?? 0;
  out[3] = fields.status ?? 0;
  out.writeUInt32BE((fields.seqno ?? 0) >>> 0, 4);
  out.writeUInt16BE(fields.tunid ?? 0, 8);
  out.writeUInt16BE(fields.urlLen ?? 0, 10);
  out.writeUInt32BE((fields.paramLen ?? 0) >>> 0, 12);
  out.writeUInt32BE((fields.dataLen ?? 0) >>> 0, 16);
  return out;
}

/** The 24-byte packet whose length sum wraps to 24 in 32 bits (it crashes the official server). */
export const WRAP24 = Buffer.from(['29', '01', '00', '00', '00000001', '0000', '0004', '00000000', 'fffffffc', '2f2f2f2f'].join(''), 'hex');

/** An RPC header declaring a 1 GiB param. */
export const GIB_HEADER = header({ type: PacketType.RPC, seqno: 1, paramLen: 1 << 30 });

/** An RPC header declaring one byte more than the 256 KiB packet cap. */
export const CAP_PLUS_ONE_HEADER = header({
  type: PacketType.RPC,
  seqno: 1,
  urlLen: 4,
  dataLen: MAX_PACKET_LENGTH + 1 - HEADER_LENGTH - 4,
});

/** The client's handshake (SERVINFO) with a password. */
export function handshakePacket(passwd: string, seqno = 1): Buffer {
  return encodePacket({ type: PacketType.SERVINFO, seqno, param: Buffer.from(JSON.stringify({ passwd })) });
}

export function subscribePacket(url: string, seqno: number): Buffer {
  return encodePacket({ type: PacketType.SUBSCRIBE, seqno, url });
}

/** A quick (UDP) DATAGRAM as a client sends it: seqno = the client id. */
export function quickDatagram(clientId: number, url: string, param: unknown): Buffer {
  return encodePacket({ type: PacketType.DATAGRAM, seqno: clientId, url, param: Buffer.from(JSON.stringify(param)) });
}
