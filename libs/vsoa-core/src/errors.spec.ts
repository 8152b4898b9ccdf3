/** The errors the library raises: classes with a stable `code`, the reply status where there is one. */
import { VsoaError, VsoaStatusError } from './errors';

describe('VsoaStatusError', () => {
  it('carries code STATUS, the status, and a message naming what failed and the status', () => {
    // 6 is NO_MEMORY in the protocol's table of statuses.
    const error = new VsoaStatusError(6, 'subscribe /speed');
    expect(error).toBeInstanceOf(VsoaError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('VsoaStatusError');
    expect(error.code).toBe('STATUS');
    expect(error.status).toBe(6);
    expect(error.message).toBe('subscribe /speed failed with status NO_MEMORY (6)');
  });

  it('names an application-defined status by its number', () => {
    expect(new VsoaStatusError(130, 'unsubscribe /a').message).toBe('unsubscribe /a failed with status STATUS_130 (130)');
  });
});
