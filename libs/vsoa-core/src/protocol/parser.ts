import { HEADER_LENGTH, MAX_PACKET_LENGTH, VSOA_MAGIC } from './constants';
import { declaredLength, decodePacket, VsoaPacket } from './packet';
import { VsoaProtocolError } from '../errors';

/** Where the parser stands between chunks. */
const enum ParserState {
  /** Waiting for (the rest of) a 20-byte header. */
  HEADER,
  /** Header read and checked; waiting for the rest of the packet body. */
  BODY,
  /** A protocol error was reported; everything after it is ignored. */
  FAILED,
}

export interface PacketParserOptions {
  /** Largest declared packet length accepted, header and pad included. */
  maxPacketLength?: number;
}

/**
 * Incremental VSOA packet parser for a byte stream. Feed it chunks of any size; it calls
 * `onPacket` for each complete packet and `onError` once for the first protocol error (bad magic,
 * declared length over the cap), after which it ignores all input. It never throws from `push`.
 *
 * Packets parsed straight out of a chunk are views into that chunk; only an incomplete tail is
 * copied, into a buffer sized from its (already checked) header.
 */
export class PacketParser {
  private state = ParserState.HEADER;
  private readonly maxLength: number;
  /** Partial header bytes, while state is HEADER and some have arrived. */
  private readonly header = Buffer.alloc(HEADER_LENGTH);
  private headerFill = 0;
  /** Partial packet, while state is BODY. */
  private pending: Buffer | null = null;
  private pendingFill = 0;

  constructor(
    private readonly onPacket: (packet: VsoaPacket) => void,
    private readonly onError: (error: VsoaProtocolError) => void,
    options: PacketParserOptions = {},
  ) {
    this.maxLength = options.maxPacketLength ?? MAX_PACKET_LENGTH;
  }

  /** Bytes held for an incomplete packet. */
  get buffered(): number {
    return this.state === ParserState.BODY ? this.pendingFill : this.headerFill;
  }

  /** True once a protocol error has been reported. */
  get failed(): boolean {
    return this.state === ParserState.FAILED;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    const end = chunk.length;
    while (offset < end && this.state !== ParserState.FAILED) {
      if (this.state === ParserState.BODY) {
        offset = this.fillPending(chunk, offset);
        continue;
      }
      // Stryker disable next-line ConditionalExpression,EqualityOperator: the byte-wise path gives the same packets as the fast path, only slower.
      if (this.headerFill > 0 || end - offset < HEADER_LENGTH) {
        offset = this.fillHeader(chunk, offset);
        continue;
      }
      // Fast path: a whole header is in the chunk.
      const total = this.check(chunk, offset);
      // Stryker disable next-line EqualityOperator: a checked length is never 0 (a header alone is 20 bytes).
      if (total < 0) return;
      if (end - offset >= total) {
        this.emit(chunk, offset);
        offset += total;
      } else {
        this.startPending(total, chunk.subarray(offset, offset + HEADER_LENGTH));
        offset += HEADER_LENGTH;
      }
    }
  }

  private fillHeader(chunk: Buffer, offset: number): number {
    const take = Math.min(HEADER_LENGTH - this.headerFill, chunk.length - offset);
    chunk.copy(this.header, this.headerFill, offset, offset + take);
    this.headerFill += take;
    offset += take;
    if (this.headerFill < HEADER_LENGTH) return offset;
    this.headerFill = 0;
    const total = this.check(this.header, 0);
    // Stryker disable next-line EqualityOperator: a checked length is never 0 (a header alone is 20 bytes).
    if (total < 0) return chunk.length;
    if (total === HEADER_LENGTH) {
      this.emit(Buffer.from(this.header), 0);
    } else {
      this.startPending(total, this.header);
    }
    return offset;
  }

  private startPending(total: number, header: Buffer): void {
    this.pending = Buffer.allocUnsafe(total);
    header.copy(this.pending, 0, 0, HEADER_LENGTH);
    this.pendingFill = HEADER_LENGTH;
    this.state = ParserState.BODY;
  }

  private fillPending(chunk: Buffer, offset: number): number {
    const pending = this.pending as Buffer;
    const take = Math.min(pending.length - this.pendingFill, chunk.length - offset);
    chunk.copy(pending, this.pendingFill, offset, offset + take);
    this.pendingFill += take;
    if (this.pendingFill === pending.length) {
      this.pending = null;
      this.pendingFill = 0;
      this.state = ParserState.HEADER;
      this.emit(pending, 0);
    }
    return offset + take;
  }

  /** Validates the header at `offset`; returns the declared total length, or -1 after reporting. */
  private check(buf: Buffer, offset: number): number {
    if (buf[offset] !== VSOA_MAGIC) {
      this.fail(new VsoaProtocolError('BAD_MAGIC', `bad magic byte 0x${buf[offset].toString(16)}`));
      return -1;
    }
    const total = declaredLength(buf, offset);
    if (total > this.maxLength) {
      this.fail(new VsoaProtocolError('TOO_LARGE', `declared packet length ${total} exceeds ${this.maxLength}`));
      return -1;
    }
    return total;
  }

  private emit(buf: Buffer, offset: number): void {
    // A throwing consumer must not corrupt the parser's position.
    try {
      this.onPacket(decodePacket(buf, offset));
    } catch (error) {
      this.fail(new VsoaProtocolError('HANDLER', `packet handler threw: ${(error as Error)?.message}`));
    }
  }

  private fail(error: VsoaProtocolError): void {
    this.state = ParserState.FAILED;
    this.pending = null;
    this.onError(error);
  }
}

/**
 * Decodes one UDP datagram holding exactly one packet. Returns null (never throws) when it is not
 * a valid packet: short, bad magic, or declaring more bytes than it holds or than the cap allows.
 * Pad bytes may be absent at the end of a datagram.
 */
export function parseDatagram(msg: Buffer, maxLength: number): VsoaPacket | null {
  if (msg.length < HEADER_LENGTH || msg[0] !== VSOA_MAGIC || msg.length > maxLength) return null;
  const unpadded = declaredLength(msg, 0) - (msg[2] >>> 6);
  if (unpadded > msg.length) return null;
  return decodePacket(msg, 0);
}
