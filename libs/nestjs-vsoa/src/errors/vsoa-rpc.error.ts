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

  /**
   * Builds the error from a reply. The message is the param's `message` (a list is joined with
   * "; ", as class-validator's), else its `error`, else one naming the URL and status.
   */
  static fromReply(url: string, status: number, payload: VsoaPayload): VsoaRpcError {
    const param = payload.param as { error?: unknown; message?: unknown } | undefined;
    const detail = oneLine(param?.message) ?? oneLine(param?.error);
    return new VsoaRpcError(status, detail ?? `${url} failed with status ${statusName(status)} (${status})`, payload);
  }
}

function oneLine(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) return value.join('; ');
  return undefined;
}
