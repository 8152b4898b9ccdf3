import type { VsoaPayload } from '@vsoa/core';

/**
 * Turns a handler's result into a reply payload: a Buffer becomes binary `data`; an object whose
 * only keys are `param` and a Buffer `data` is taken as the payload itself; anything else is the
 * `param`.
 */
export function toPayload(value: unknown): VsoaPayload {
  if (value === undefined || value === null) return {};
  if (Buffer.isBuffer(value)) return { data: value };
  if (typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const data = (value as VsoaPayload).data;
    if (Buffer.isBuffer(data) && keys.every((k) => k === 'param' || k === 'data')) return value as VsoaPayload;
  }
  return { param: value };
}
