import { VsoaStatus } from '../protocol/constants';

/** Keys that would reach an object's prototype or constructor instead of its own data. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const isPlainData = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Copies `source`'s own enumerable keys onto `target`, except `__proto__`, `constructor` and
 * `prototype`: a JSON param such as `{"__proto__": {"isAdmin": true}}` is an own key after
 * `JSON.parse`, and `Object.assign` would hand it to the prototype setter.
 */
export function safeAssign<T extends object>(target: T, source: Record<string, unknown>): T {
  for (const key of Object.keys(source)) {
    if (!UNSAFE_KEYS.has(key)) (target as Record<string, unknown>)[key] = source[key];
  }
  return target;
}

/**
 * The default SET of a resource: an object param's keys onto the state object (safely); ARGUMENTS
 * when either is not a plain object.
 */
export function mergeInto(state: unknown, param: unknown): number {
  if (!isPlainData(state) || !isPlainData(param)) return VsoaStatus.ARGUMENTS;
  safeAssign(state, param);
  return VsoaStatus.SUCCESS;
}
