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

/** Params nested deeper than this are refused: parsing them costs far more than their size. */
export const MAX_PARAM_DEPTH = 256;
/** Params shorter than this cannot be nested deep enough to matter; they skip the depth scan. */
const DEPTH_SCAN_FROM = MAX_PARAM_DEPTH * 2;

/**
 * True when the JSON text nests arrays/objects deeper than `MAX_PARAM_DEPTH`. A linear scan of
 * the bytes, much cheaper than the `JSON.parse` it spares (256 KiB of `[` takes ~12 ms to refuse
 * by parsing, and stalls every other client meanwhile).
 */
function nestsTooDeep(bytes: Buffer): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c /* \\ */) i++;
      else if (byte === 0x22 /* " */) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b /* [ */ || byte === 0x7b /* { */) {
      if (++depth > MAX_PARAM_DEPTH) return true;
    } else if (byte === 0x5d /* ] */ || byte === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * Param value from the wire: undefined when empty, BAD_PARAM when not JSON (and not raw) or
 * nested deeper than `MAX_PARAM_DEPTH`.
 */
export function decodeParam(bytes: Buffer, raw: boolean): unknown {
  if (bytes.length === 0) return undefined;
  if (!raw && bytes.length >= DEPTH_SCAN_FROM && nestsTooDeep(bytes)) return BAD_PARAM;
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
