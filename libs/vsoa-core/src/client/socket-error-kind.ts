import { VsoaConnectErrorCode } from '../errors';

/** Socket errors during connect, by what they tell the user; anything else is CONNECT_ERROR. */
const CONNECT_CODES: Record<string, VsoaConnectErrorCode> = {
  ECONNREFUSED: 'CONNECT_ERROR',
  ECONNRESET: 'CONNECT_ERROR',
  EHOSTUNREACH: 'UNREACHABLE',
  ENETUNREACH: 'UNREACHABLE',
  EHOSTDOWN: 'UNREACHABLE',
  ENOTFOUND: 'SERVER_NOT_FOUND',
  EAI_AGAIN: 'SERVER_NOT_FOUND',
  ETIMEDOUT: 'SERVER_NO_RESPONDING',
};

/**
 * The connect error code for a socket error before the handshake. Over TLS an error that is not
 * a network one comes from the TLS handshake (bad certificate, wrong protocol).
 */
export function connectErrorCode(error: NodeJS.ErrnoException, tls: boolean): VsoaConnectErrorCode {
  const known = error.code !== undefined && Object.hasOwn(CONNECT_CODES, error.code) ? CONNECT_CODES[error.code] : undefined;
  if (known) return known;
  return tls ? 'SSL_HS_FAILED' : 'CONNECT_ERROR';
}
