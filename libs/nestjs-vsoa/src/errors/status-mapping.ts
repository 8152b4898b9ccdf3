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

/** What a failed call is answered with: the status byte and the reply's param. */
export interface ErrorReply {
  status: number;
  /** One line saying what went wrong. */
  message: string;
  /**
   * The reply's param: an HttpException's response body, as an HTTP caller would get it
   * (`{ statusCode, message, error }`, where `message` may be a list such as class-validator's);
   * otherwise `{ error: message }` plus the other fields of an RpcException's error object.
   */
  param: Record<string, unknown>;
}

interface ErrorLike {
  status?: unknown;
  statusCode?: unknown;
  message?: unknown;
  getStatus?: () => number;
  getResponse?: () => unknown;
  getError?: () => unknown;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/** `message` as one line: a list (class-validator's) is joined. */
function oneLine(message: unknown): string | undefined {
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.every((item) => typeof item === 'string')) return message.join('; ');
  return undefined;
}

/**
 * The reply for whatever a handler's pipeline failed with:
 * - a number status 2-6 / 128-255 (`new RpcException({ status: 130, message })`) is kept;
 * - an HttpException (what `ValidationPipe` and `ParseIntPipe` throw, reaching the transport
 *   through `VsoaExceptionFilter`) maps by its HTTP status — 400/422 → ARGUMENTS, 401/403 →
 *   NO_PERMISSIONS, 404 → INVALID_URL — and keeps its response body;
 * - a denied guard is NO_PERMISSIONS;
 * - anything else is NO_RESPONDING.
 */
export function errorToReply(error: unknown): ErrorReply {
  const err = (error ?? {}) as ErrorLike;
  if (typeof err.getError === 'function') {
    // An RpcException: its error is a string or the object to answer with.
    const inner = err.getError();
    return errorToReply(typeof inner === 'string' ? { message: inner } : inner);
  }
  if (typeof err.getStatus === 'function' && typeof err.getResponse === 'function') {
    const httpStatus = err.getStatus();
    const response = err.getResponse();
    // The body Nest's HTTP layer would send for it.
    const param = isPlainObject(response) ? { ...response } : { statusCode: httpStatus, message: response };
    const message = oneLine(param.message) ?? oneLine(err.message) ?? `HTTP ${httpStatus}`;
    return { status: httpToVsoaStatus(httpStatus), message, param };
  }
  const message = oneLine(err.message) ?? (typeof error === 'string' ? error : 'Internal error');
  const extra = isPlainObject(error) ? withoutKeys(error, ['status', 'message', 'statusCode']) : {};
  const param = { ...extra, error: message };
  if (isErrorStatus(err.status)) return { status: err.status, message, param };
  if (typeof err.statusCode === 'number') return { status: httpToVsoaStatus(err.statusCode), message, param };
  if (message === FORBIDDEN_MESSAGE) return { status: VsoaStatus.NO_PERMISSIONS, message, param };
  return { status: DEFAULT_ERROR_STATUS, message, param };
}

/** The status and one-line message of an error (see `errorToReply`). */
export function errorToStatus(error: unknown): { status: number; message: string } {
  const { status, message } = errorToReply(error);
  return { status, message };
}

function withoutKeys(object: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
}
