import { statusName } from './protocol/constants';

/** Codes of errors raised by calls on a connection (not by the peer's reply status). */
export type VsoaErrorCode =
  | 'TIMEOUT'
  | 'CLOSED'
  | 'NOT_CONNECTED'
  | 'NOT_LISTENING'
  | 'STATUS'
  | 'INVALID_ARGUMENT'
  | 'TOO_LARGE'
  | 'QUICK_OVER_TLS'
  | 'INVALID_REPLY';

/** Base class of every error this library raises. `code` is stable; `message` is for people. */
export class VsoaError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The VSOA reply status, when the error stands for one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A reply came back with a non-zero status where success was required (e.g. subscribe). */
export class VsoaStatusError extends VsoaError {
  constructor(status: number, what: string) {
    super('STATUS', `${what} failed with status ${statusName(status)} (${status})`, status);
  }
}

/** Connect failure codes, as the seed's client names them. */
export type VsoaConnectErrorCode =
  'CONNECT_ERROR' | 'UNREACHABLE' | 'SERVER_NOT_FOUND' | 'SERVER_NO_RESPONDING' | 'INVALID_RESPONDING' | 'INVALID_PASSWD' | 'SSL_HS_FAILED';

/** `connect()` failed; `code` says why, `cause` holds the underlying socket error if any. */
export class VsoaConnectError extends VsoaError {
  declare readonly code: VsoaConnectErrorCode;
  constructor(code: VsoaConnectErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** Codes of protocol violations found in received bytes. */
export type VsoaProtocolErrorCode = 'BAD_MAGIC' | 'TOO_LARGE' | 'HANDLER' | 'BAD_HANDSHAKE';

/** The peer sent bytes that break the protocol; the connection is closed. */
export class VsoaProtocolError extends VsoaError {
  declare readonly code: VsoaProtocolErrorCode;
  constructor(code: VsoaProtocolErrorCode, message: string) {
    super(code, message);
  }
}
