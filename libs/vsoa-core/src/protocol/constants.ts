/** First byte of every packet: version 2 in the high nibble, magic 0x9 in the low nibble. */
export const VSOA_MAGIC = 0x29;

/** Fixed header length in bytes. */
export const HEADER_LENGTH = 20;

/** Largest packet (header included) accepted or sent over TCP. */
export const MAX_PACKET_LENGTH = 256 * 1024;

/** Largest packet accepted or sent over UDP (the "quick" channel). */
export const MAX_QUICK_PACKET_LENGTH = 65507;

/**
 * Largest url + param + data a quick packet can carry: 65484 bytes. Every packet is padded to a
 * multiple of 4, so the largest that fits 65507 is 65504, less the 20-byte header. The official
 * Node package refuses one byte more in both directions, as we do; the seed's "65507 − 20" counts
 * the body before padding, which could not be sent.
 */
export const MAX_QUICK_PAYLOAD_LENGTH = 65484;

/** Packet types, named as the protocol reference names them. */
export const PacketType = {
  SERVINFO: 0x00,
  RPC: 0x01,
  SUBSCRIBE: 0x02,
  UNSUBSCRIBE: 0x03,
  PUBLISH: 0x04,
  DATAGRAM: 0x05,
  QOSSETUP: 0x06,
  NOOP: 0xfe,
  PINGECHO: 0xff,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Header flag bits. Bits 6-7 hold the pad length (0-3). */
export const Flag = {
  REPLY: 0x01,
  TUNNEL: 0x02,
  SET: 0x04,
} as const;

export const PAD_SHIFT = 6;

/** Reply status codes; 128-255 are application-defined. */
export const VsoaStatus = {
  SUCCESS: 0,
  PASSWORD: 1,
  ARGUMENTS: 2,
  INVALID_URL: 3,
  NO_RESPONDING: 4,
  NO_PERMISSIONS: 5,
  NO_MEMORY: 6,
  /** Sent by the official proxy when its upstream call fails without a status of its own. */
  PROXY: 7,
} as const;
export type VsoaStatus = (typeof VsoaStatus)[keyof typeof VsoaStatus];

/** RPC method: GET unless the SET flag is set. */
export type VsoaMethod = 'GET' | 'SET';

const STATUS_NAMES = new Map<number, string>(Object.entries(VsoaStatus).map(([name, code]) => [code, name]));

/** Name of a status code (`'INVALID_URL'`), or `'STATUS_<n>'` for application-defined ones. */
export function statusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `STATUS_${status}`;
}
