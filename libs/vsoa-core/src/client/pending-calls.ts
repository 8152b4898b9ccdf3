import { VsoaError } from '../errors';

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  deadline: number;
  timeout: number;
  what: string;
}

/** How often the sweep looks for expired calls (ms): a call rejects within its timeout + this. */
export const SWEEP_INTERVAL = 50;

/**
 * Calls waiting for a reply, by seqno. Seqnos wrap at 2^32 and skip ones still in flight.
 * Timeouts are enforced by one coarse sweep timer instead of a timer per call.
 */
export class PendingCalls {
  private readonly calls = new Map<number, Pending<unknown>>();
  private lastSeqno = 0;
  private sweeper: NodeJS.Timeout | null = null;

  get size(): number {
    return this.calls.size;
  }

  /** Reserves a fresh seqno and returns it with the promise of its reply. */
  add<T>(timeout: number, what: string): { seqno: number; promise: Promise<T> } {
    let seqno = this.lastSeqno;
    do seqno = (seqno + 1) >>> 0;
    while (seqno === 0 || this.calls.has(seqno));
    this.lastSeqno = seqno;
    const promise = new Promise<T>((resolve, reject) => {
      this.calls.set(seqno, {
        resolve: resolve as (value: unknown) => void,
        reject,
        deadline: Date.now() + timeout,
        timeout,
        what,
      });
    });
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL);
      this.sweeper.unref();
    }
    return { seqno, promise };
  }

  /** Settles the call with `seqno`; false when no such call is waiting. */
  resolve(seqno: number, value: unknown): boolean {
    const call = this.calls.get(seqno);
    if (!call) return false;
    this.remove(seqno);
    call.resolve(value);
    return true;
  }

  /** Rejects the call with `seqno` (e.g. it could not be sent). */
  reject(seqno: number, error: Error): void {
    const call = this.calls.get(seqno);
    if (!call) return;
    this.remove(seqno);
    call.reject(error);
  }

  /** Rejects every waiting call. */
  rejectAll(error: Error): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    this.stopSweeper();
    for (const call of calls) call.reject(error);
  }

  private remove(seqno: number): void {
    this.calls.delete(seqno);
    if (this.calls.size === 0) this.stopSweeper();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [seqno, call] of this.calls) {
      if (call.deadline <= now) {
        this.remove(seqno);
        call.reject(new VsoaError('TIMEOUT', `${call.what}: no reply in ${call.timeout} ms`));
      }
    }
  }
}
