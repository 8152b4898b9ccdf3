/**
 * The table of calls waiting for a reply: seqnos, settling by seqno, and timeouts on a fake clock.
 */
import { PendingCalls } from './pending-calls';

afterEach(() => jest.useRealTimers());

/** Whether `promise` has settled, without waiting for it. */
function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
}

describe('PendingCalls', () => {
  it('numbers calls 1, 2, 3, …', () => {
    const calls = new PendingCalls();
    const seqnos = [1, 2, 3].map(() => {
      const { seqno, promise } = calls.add(1000, 'call');
      promise.catch(() => undefined);
      return seqno;
    });
    expect(seqnos).toEqual([1, 2, 3]);
    calls.rejectAll(new Error('done'));
  });

  it('wraps after 2^32 - 1 to 1, skipping 0 and the seqnos still in flight', async () => {
    const calls = new PendingCalls();
    const first = calls.add(1000, 'first');
    first.promise.catch(() => undefined);
    expect(first.seqno).toBe(1);
    // Four billion calls later: the counter is at its top (set directly; counting up would take hours).
    Reflect.set(calls, 'lastSeqno', 0xfffffffe);
    const top = calls.add(1000, 'top');
    const wrapped = calls.add(1000, 'wrapped');
    for (const call of [top, wrapped]) call.promise.catch(() => undefined);
    expect([top.seqno, wrapped.seqno]).toEqual([0xffffffff, 2]);
    // The call in flight on 1 is still the one that seqno settles.
    expect(calls.resolve(1, 'one')).toBe(true);
    await expect(first.promise).resolves.toBe('one');
    calls.rejectAll(new Error('done'));
  });

  it('settles a call once by its seqno, saying whether one was waiting', async () => {
    const calls = new PendingCalls();
    const { seqno, promise } = calls.add(1000, 'call');
    expect(calls.resolve(seqno + 1, 'other')).toBe(false);
    expect(calls.size).toBe(1);
    expect(calls.resolve(seqno, 'value')).toBe(true);
    await expect(promise).resolves.toBe('value');
    expect(calls.resolve(seqno, 'again')).toBe(false);
    expect(calls.size).toBe(0);
  });

  it('rejects one call by its seqno, and ignores a seqno nobody waits on', async () => {
    const calls = new PendingCalls();
    const a = calls.add(1000, 'a');
    const b = calls.add(1000, 'b');
    calls.reject(99, new Error('nobody'));
    calls.reject(a.seqno, new Error('refused'));
    await expect(a.promise).rejects.toThrow('refused');
    expect(calls.size).toBe(1);
    expect(calls.resolve(b.seqno, 'b')).toBe(true);
  });

  it('rejects a call with TIMEOUT once its timeout has passed, not before', async () => {
    jest.useFakeTimers();
    const calls = new PendingCalls();
    const { promise } = calls.add(100, 'RPC /slow');
    promise.catch(() => undefined);
    const settled = settledFlag(promise);
    await jest.advanceTimersByTimeAsync(99);
    expect(settled()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(settled()).toBe(true);
    await expect(promise).rejects.toMatchObject({ code: 'TIMEOUT', message: 'RPC /slow: no reply in 100 ms' });
  });
});
