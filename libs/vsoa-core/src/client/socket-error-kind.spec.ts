import { connectErrorCode } from './socket-error-kind';

const socketError = (code?: string): NodeJS.ErrnoException => Object.assign(new Error(`connect ${code}`), { code });

describe('connectErrorCode', () => {
  it('names network errors by what they tell the user, over TCP and TLS alike', () => {
    for (const tls of [false, true]) {
      expect(connectErrorCode(socketError('ECONNREFUSED'), tls)).toBe('CONNECT_ERROR');
      expect(connectErrorCode(socketError('ECONNRESET'), tls)).toBe('CONNECT_ERROR');
      expect(connectErrorCode(socketError('EHOSTUNREACH'), tls)).toBe('UNREACHABLE');
      expect(connectErrorCode(socketError('ENETUNREACH'), tls)).toBe('UNREACHABLE');
      expect(connectErrorCode(socketError('EHOSTDOWN'), tls)).toBe('UNREACHABLE');
      expect(connectErrorCode(socketError('ENOTFOUND'), tls)).toBe('SERVER_NOT_FOUND');
      expect(connectErrorCode(socketError('EAI_AGAIN'), tls)).toBe('SERVER_NOT_FOUND');
      expect(connectErrorCode(socketError('ETIMEDOUT'), tls)).toBe('SERVER_NO_RESPONDING');
    }
  });

  it('calls any other error CONNECT_ERROR, or SSL_HS_FAILED over TLS', () => {
    for (const code of ['EINVAL', 'EADDRNOTAVAIL', 'toString', undefined]) {
      expect(connectErrorCode(socketError(code), false)).toBe('CONNECT_ERROR');
      expect(connectErrorCode(socketError(code), true)).toBe('SSL_HS_FAILED');
    }
    expect(connectErrorCode(socketError('ERR_SSL_WRONG_VERSION_NUMBER'), true)).toBe('SSL_HS_FAILED');
  });
});
