import { VsoaError } from '../errors';
import type { VsoaMethod } from './constants';

/** The seed's `METHOD_GET` (0): an RPC that reads. */
export const METHOD_GET = 0;
/** The seed's `METHOD_SET` (1): an RPC that changes (the SET flag). */
export const METHOD_SET = 1;

/**
 * How a method may be given: `'GET'` / `'SET'` (any case), or the seed's numbers
 * `METHOD_GET` (0) / `METHOD_SET` (1), as Python programs and the official Node package pass it.
 */
export type VsoaMethodLike = VsoaMethod | 'get' | 'set' | typeof METHOD_GET | typeof METHOD_SET;

/**
 * The method `method` names; GET when it is undefined. Anything else throws
 * `VsoaError('INVALID_ARGUMENT')`: a mistyped SET must never go out as a GET.
 */
export function toMethod(method: unknown): VsoaMethod {
  if (method === undefined || method === METHOD_GET) return 'GET';
  if (method === METHOD_SET) return 'SET';
  if (typeof method === 'string') {
    const upper = method.toUpperCase();
    if (upper === 'GET' || upper === 'SET') return upper;
  }
  throw new VsoaError(
    'INVALID_ARGUMENT',
    `method must be 'GET', 'SET', METHOD_GET (0) or METHOD_SET (1), not ${JSON.stringify(method) ?? String(method)}`,
  );
}
