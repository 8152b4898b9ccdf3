import { Flag, HEADER_LENGTH, PAD_SHIFT, VSOA_MAGIC } from './constants';

/** One decoded packet. `url` is decoded text; `param` and `data` are views into the received bytes. */
export interface VsoaPacket {
  type: number;
  flags: number;
  status: number;
  seqno: number;
  tunid: number;
  url: string;
  param: Buffer;
  data: Buffer;
}

/** What the encoder needs; absent fields are zero or empty. */
export interface PacketFields {
  type: number;
  flags?: number;
  status?: number;
  seqno?: number;
  tunid?: number;
  url?: string;
  param?: Buffer;
  data?: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** Reads the total length a header declares, pad included, without 32-bit wrap-around. */
export function declaredLength(header: Buffer, offset = 0): number {
  return (
    HEADER_LENGTH +
    header.readUInt16BE(offset + 10) +
    header.readUInt32BE(offset + 12) +
    header.readUInt32BE(offset + 16) +
    (header[offset + 2] >>> PAD_SHIFT)
  );
}

/** Decodes a packet whose complete bytes start at `offset` (the caller has checked the length). */
export function decodePacket(buf: Buffer, offset = 0): VsoaPacket {
  const urlLength = buf.readUInt16BE(offset + 10);
  const paramLength = buf.readUInt32BE(offset + 12);
  const dataLength = buf.readUInt32BE(offset + 16);
  const urlStart = offset + HEADER_LENGTH;
  const paramStart = urlStart + urlLength;
  const dataStart = paramStart + paramLength;
  return {
    type: buf[offset + 1],
    flags: buf[offset + 2] & ~(3 << PAD_SHIFT),
    status: buf[offset + 3],
    seqno: buf.readUInt32BE(offset + 4),
    tunid: buf.readUInt16BE(offset + 8),
    url: urlLength === 0 ? '' : buf.toString('utf8', urlStart, paramStart),
    param: paramLength === 0 ? EMPTY : buf.subarray(paramStart, dataStart),
    data: dataLength === 0 ? EMPTY : buf.subarray(dataStart, dataStart + dataLength),
  };
}

/**
 * Encodes a packet into one freshly allocated buffer: header, url, param, data and zeroed pad
 * up to the next multiple of 4. The caller checks the size against the transport's cap.
 */
export function encodePacket(fields: PacketFields): Buffer {
  const url = fields.url ?? '';
  const urlLength = url.length === 0 ? 0 : Buffer.byteLength(url);
  const param = fields.param ?? EMPTY;
  const data = fields.data ?? EMPTY;
  const body = HEADER_LENGTH + urlLength + param.length + data.length;
  const pad = (4 - (body & 3)) & 3;
  const buf = Buffer.allocUnsafe(body + pad);
  buf[0] = VSOA_MAGIC;
  buf[1] = fields.type;
  buf[2] = ((fields.flags ?? 0) & 0x3f) | (pad << PAD_SHIFT);
  buf[3] = fields.status ?? 0;
  buf.writeUInt32BE((fields.seqno ?? 0) >>> 0, 4);
  buf.writeUInt16BE(fields.tunid ?? 0, 8);
  buf.writeUInt16BE(urlLength, 10);
  buf.writeUInt32BE(param.length, 12);
  buf.writeUInt32BE(data.length, 16);
  let at = HEADER_LENGTH;
  if (urlLength > 0) at += buf.write(url, at, 'utf8');
  if (param.length > 0) at += param.copy(buf, at);
  if (data.length > 0) at += data.copy(buf, at);
  for (let i = 0; i < pad; i++) buf[at + i] = 0;
  return buf;
}

/** True when the packet carries the REPLY flag. */
export function isReply(packet: VsoaPacket): boolean {
  return (packet.flags & Flag.REPLY) !== 0;
}
