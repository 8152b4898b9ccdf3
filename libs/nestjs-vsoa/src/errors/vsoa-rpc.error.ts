import { statusName, VsoaPayload } from '@vsoa/core';

/** A VSOA call answered with a non-zero status, as ClientVsoa's `send()` reports it. */
export class VsoaRpcError extends Error {
  readonly code = 'STATUS';

  constructor(
    /** The reply's status byte. */
    readonly status: number,
    message: string,
    /** The reply's payload (its param often says more). */
    readonly payload: VsoaPayload = {},
  ) {
    super(message);
    this.name = 'VsoaRpcError';
  }

  /** Builds the error from a reply, taking the message from `param.error` or `param.message` if present. */
  static fromReply(url: string, status: number, payload: VsoaPayload): VsoaRpcError {
    const param = payload.param as { error?: unknown; message?: unknown } | undefined;
    const detail = typeof param?.error === 'string' ? param.error : typeof param?.message === 'string' ? param.message : undefined;
    return new VsoaRpcError(status, detail ?? `${url} failed with status ${statusName(status)} (${status})`, payload);
  }
}
