import { defaultLogger, VsoaLogger } from './logger';

/** A unit of work. An async job holds the queue until its promise settles. */
export type WorkJob = () => unknown;

export interface WorkQueueOptions {
  /** Called when a job throws or rejects; the queue goes on with the next job. Default: log a warning. */
  onError?: (error: unknown, job: WorkJob) => void;
  logger?: VsoaLogger;
}

/**
 * Runs jobs one at a time, in the order they were added. A job that fails is reported and does
 * not stop the queue. Use one to serialise handlers that touch the same state (a device, a file)
 * without locks: `server.command(url, handler, { workQueue })`.
 */
export class WorkQueue {
  private readonly jobs: WorkJob[] = [];
  private running: WorkJob | null = null;
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  private readonly onError: (error: unknown, job: WorkJob) => void;

  constructor(options: WorkQueueOptions = {}) {
    const logger = options.logger ?? defaultLogger;
    this.onError =
      options.onError ?? ((error) => logger.warn(`work queue job failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  /** Jobs waiting (not counting the one running). */
  get size(): number {
    return this.jobs.length;
  }

  /** True while a job runs or waits. */
  get busy(): boolean {
    return this.draining;
  }

  /** Queues a job; it starts once every job before it has finished. */
  add(job: WorkJob): this {
    this.jobs.push(job);
    if (!this.draining) {
      this.draining = true;
      // Start on a microtask so a job never runs inside the add() call that queued it.
      queueMicrotask(() => void this.drain());
    }
    return this;
  }

  /**
   * Queues a job unless the same function is already waiting (the seed's `add_if_not_queued`: a
   * job that runs now may be queued again); returns whether it was added.
   */
  addIfAbsent(job: WorkJob): boolean {
    if (this.jobs.includes(job)) return false;
    this.add(job);
    return true;
  }

  /** Removes a waiting job (a running one cannot be recalled); returns whether it was waiting. */
  remove(job: WorkJob): boolean {
    const index = this.jobs.indexOf(job);
    if (index < 0) return false;
    this.jobs.splice(index, 1);
    return true;
  }

  /** Removes every waiting job of `jobs` in one pass; returns how many were waiting. */
  removeAll(jobs: ReadonlySet<WorkJob>): number {
    const before = this.jobs.length;
    let kept = 0;
    for (const job of this.jobs) if (!jobs.has(job)) this.jobs[kept++] = job;
    this.jobs.length = kept;
    return before - kept;
  }

  /** True when the job is waiting (the seed's `is_queued`: the running one does not count). */
  has(job: WorkJob): boolean {
    return this.jobs.includes(job);
  }

  /** True while the job runs. */
  isRunning(job: WorkJob): boolean {
    return this.running === job;
  }

  /** Drops every waiting job (the running one finishes). */
  clear(): void {
    this.jobs.length = 0;
  }

  /** Resolves once the queue is empty and nothing runs. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    let job: WorkJob | undefined;
    while ((job = this.jobs.shift()) !== undefined) {
      this.running = job;
      try {
        await job();
      } catch (error) {
        this.report(error, job);
      }
    }
    this.running = null;
    this.draining = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private report(error: unknown, job: WorkJob): void {
    try {
      this.onError(error, job);
    } catch {
      // A failing error reporter must not stop the queue either.
    }
  }
}
