import { VsoaStatus } from '@vsoa/core';

/** Status a handler error gets when nothing in it says otherwise. Neither success nor the caller's fault. */
export const DEFAULT_ERROR_STATUS = VsoaStatus.NO_RESPONDING;

/** Nest's message for a guard that denied the call. */
const FORBIDDEN_MESSAGE = 'Forbidden resource';

/** True for a status a handler may put on the wire: 2-6 or 128-255. */
export function isErrorStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && ((value >= 2 && value <= 6) || (value >= 128 && value <= 255));
}

/** Maps an HTTP status (what Nest's pipes throw) to a VSOA status. */
export function httpToVsoaStatus(httpStatus: number): number {
  if (httpStatus === 400 || httpStatus === 422) return VsoaStatus.ARGUMENTS;
  if (httpStatus === 401 || httpStatus === 403) return VsoaStatus.NO_PERMISSIONS;
  if (httpStatus === 404) return VsoaStatus.INVALID_URL;
  return DEFAULT_ERROR_STATUS;
}

/**
 * The reply status and message for whatever a handler's pipeline failed with:
 * a number status 2-6 / 128-255 (e.g. `new RpcException({ status: 130, message })`) is kept;
 * an HttpException (or the `{ statusCode }` of one) maps by its HTTP status; a denied guard is
 * NO_PERMISSIONS; anything else is NO_RESPONDING.
 */
export function errorToStatus(error: unknown): { status: number; message: string } {
  const err = (error ?? {}) as {
    status?: unknown;
    statusCode?: unknown;
    message?: unknown;
    getStatus?: () => number;
    getError?: () => unknown;
  };
  const message = typeof err.message === 'string' ? err.message : typeof error === 'string' ? error : 'Internal error';
  if (typeof err.getError === 'function') {
    const inner = err.getError();
    return errorToStatus(typeof inner === 'string' ? { message: inner } : inner);
  }
  if (isErrorStatus(err.status)) return { status: err.status, message };
  if (typeof err.getStatus === 'function') return { status: httpToVsoaStatus(err.getStatus()), message };
  if (typeof err.statusCode === 'number') return { status: httpToVsoaStatus(err.statusCode), message };
  if (message === FORBIDDEN_MESSAGE) return { status: VsoaStatus.NO_PERMISSIONS, message };
  return { status: DEFAULT_ERROR_STATUS, message };
}
