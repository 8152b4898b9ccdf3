/**
 * What an RPC, publish or datagram carries. `param` is JSON on the wire: any JSON value is
 * sent with `JSON.stringify`; a Buffer is sent as its bytes, and so is a string in raw mode.
 * Received params are `JSON.parse`d unless raw, where they arrive as a UTF-8 string.
 */
export interface VsoaPayload {
  param?: unknown;
  data?: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** Param bytes for the wire. */
export function encodeParam(param: unknown, raw: boolean): Buffer {
  if (param === undefined) return EMPTY;
  if (Buffer.isBuffer(param)) return param;
  if (raw && typeof param === 'string') return Buffer.from(param);
  const text = JSON.stringify(param);
  return text === undefined ? EMPTY : Buffer.from(text);
}

/** Returned by `decodeParam` when the bytes are not valid JSON. */
export const BAD_PARAM: unique symbol = Symbol('bad param');

/** Param value from the wire: undefined when empty, BAD_PARAM when not JSON (and not raw). */
export function decodeParam(bytes: Buffer, raw: boolean): unknown {
  if (bytes.length === 0) return undefined;
  const text = bytes.toString('utf8');
  if (raw) return text;
  try {
    return JSON.parse(text);
  } catch {
    return BAD_PARAM;
  }
}

/** Builds the payload object handed to users, or BAD_PARAM. */
export function decodePayload(param: Buffer, data: Buffer, raw: boolean): VsoaPayload | typeof BAD_PARAM {
  const value = decodeParam(param, raw);
  if (value === BAD_PARAM) return BAD_PARAM;
  const payload: VsoaPayload = {};
  if (value !== undefined) payload.param = value;
  if (data.length > 0) payload.data = data;
  return payload;
}
