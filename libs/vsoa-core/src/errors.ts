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
  | 'LIMIT'
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

/**
 * The seed's numeric connect codes (`vsoa.Client.CONNECT_OK` … `SSL_HS_FAILED`), for a port that
 * compares numbers; `VsoaConnectError.errno` carries the one of its `code`. (The seed's client
 * reports a wrong password as INVALID_RESPONDING; ours says INVALID_PASSWD.)
 */
export const VsoaConnectCode = {
  CONNECT_OK: 0,
  CONNECT_ERROR: 1,
  CONNECT_UNREACHABLE: 2,
  SERVER_NOT_FOUND: 3,
  SERVER_NO_RESPONDING: 4,
  INVALID_RESPONDING: 5,
  INVALID_PASSWD: 6,
  SSL_HS_FAILED: 7,
} as const;
export type VsoaConnectCode = (typeof VsoaConnectCode)[keyof typeof VsoaConnectCode];

const CONNECT_ERRNO: Record<VsoaConnectErrorCode, VsoaConnectCode> = {
  CONNECT_ERROR: VsoaConnectCode.CONNECT_ERROR,
  UNREACHABLE: VsoaConnectCode.CONNECT_UNREACHABLE,
  SERVER_NOT_FOUND: VsoaConnectCode.SERVER_NOT_FOUND,
  SERVER_NO_RESPONDING: VsoaConnectCode.SERVER_NO_RESPONDING,
  INVALID_RESPONDING: VsoaConnectCode.INVALID_RESPONDING,
  INVALID_PASSWD: VsoaConnectCode.INVALID_PASSWD,
  SSL_HS_FAILED: VsoaConnectCode.SSL_HS_FAILED,
};

/**
 * `connect()` failed; `code` says why (a string), `errno` the same as the seed's number, `cause`
 * holds the underlying socket error if any.
 */
export class VsoaConnectError extends VsoaError {
  declare readonly code: VsoaConnectErrorCode;
  /** The seed's number for `code` (see `VsoaConnectCode`): 1 to 7. */
  readonly errno: VsoaConnectCode;
  constructor(code: VsoaConnectErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message);
    this.errno = CONNECT_ERRNO[code];
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
