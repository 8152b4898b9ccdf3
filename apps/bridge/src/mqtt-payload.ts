import type { VsoaPayload } from '@vsoa/core';

/**
 * MQTT payloads as the bridge writes and reads them. A VSOA message is its param as JSON; one
 * that also carries binary data is an envelope, `{"param": …, "data": "<base64>"}`, marked by
 * the MQTT v5 content type below (plain JSON is marked `application/json`).
 */
export const ENVELOPE_CONTENT_TYPE = 'application/vnd.vsoa.envelope+json';
export const JSON_CONTENT_TYPE = 'application/json';

/** A request the bridge cannot carry out as sent; answered with status ARGUMENTS. */
export class BridgeRequestError extends Error {
  readonly code = 'BAD_REQUEST';
}

/** An RPC request read from `<prefix>/rpc<url>`. */
export interface RpcRequest {
  method: 'GET' | 'SET';
  payload: VsoaPayload;
  /** Echoed in the reply, for MQTT 3.1.1 callers that have no correlation data. */
  id?: string | number;
}

/** An RPC reply as sent back: the VSOA status and payload, or the reason there is none. */
export interface RpcReplyBody {
  status: number;
  param?: unknown;
  /** Base64. */
  data?: string;
  /** Set when the bridge answers itself (VSOA down, bad request, timeout). */
  error?: string;
  id?: string | number;
}

/** A VSOA message (publish or datagram) as an MQTT payload and its content type. */
export function encodeMessage(message: VsoaPayload): { payload: Buffer; contentType: string } {
  if (message.data && message.data.length > 0) {
    const envelope = { param: message.param ?? null, data: message.data.toString('base64') };
    return { payload: Buffer.from(JSON.stringify(envelope)), contentType: ENVELOPE_CONTENT_TYPE };
  }
  return { payload: Buffer.from(JSON.stringify(message.param ?? null)), contentType: JSON_CONTENT_TYPE };
}

/** An MQTT payload (a datagram to send) as a VSOA message: JSON param, or an envelope when so marked. */
export function decodeMessage(payload: Buffer, contentType?: string): VsoaPayload {
  if (payload.length === 0) return {};
  const value = parseJson(payload);
  if (contentType !== ENVELOPE_CONTENT_TYPE) return { param: value };
  const envelope = asObject(value, 'an envelope');
  return { param: envelope.param ?? undefined, data: dataOf(envelope.data) };
}

/** `{"method": "GET"|"SET", "param": …, "data": "<base64>", "id": …}`, every field optional; an empty payload is a GET. */
export function parseRpcRequest(payload: Buffer): RpcRequest {
  if (payload.length === 0) return { method: 'GET', payload: {} };
  const request = asObject(parseJson(payload), 'a request');
  const method = request.method === undefined ? 'GET' : String(request.method).toUpperCase();
  if (method !== 'GET' && method !== 'SET') throw new BridgeRequestError(`method ${JSON.stringify(request.method)} is neither GET nor SET`);
  const id = request.id;
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') throw new BridgeRequestError('id must be a string or a number');
  return { method, payload: { param: request.param ?? undefined, data: dataOf(request.data) }, id };
}

export function encodeReply(reply: RpcReplyBody): Buffer {
  return Buffer.from(JSON.stringify(reply));
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new BridgeRequestError(`payload is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BridgeRequestError(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function dataOf(data: unknown): Buffer | undefined {
  if (data === undefined || data === null) return undefined;
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) throw new BridgeRequestError('data must be base64 text');
  return Buffer.from(data, 'base64');
}
