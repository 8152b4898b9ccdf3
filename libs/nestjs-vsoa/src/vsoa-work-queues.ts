import { Inject } from '@nestjs/common';
import { WorkQueue } from '@vsoa/core';
import type { VsoaLogger } from '@vsoa/core';

/** The injection token of the work queue called `name`. */
export function getWorkQueueToken(name: string): string {
  return `VsoaWorkQueue:${name}`;
}

/**
 * Injects the work queue called `name` (declare it in `VsoaModule.forRoot({ workQueues })`). Jobs
 * a service adds to it never overlap the handlers that run through it.
 */
export const InjectWorkQueue = (name: string): PropertyDecorator & ParameterDecorator => Inject(getWorkQueueToken(name));

/**
 * Named work queues shared by the strategy and the app. A handler opts in with
 * `@MessagePattern('/url', { workQueue: 'name' })`; its calls then run one at a time, in order,
 * with every other job of that queue.
 */
export class VsoaWorkQueues {
  private readonly queues = new Map<string, WorkQueue>();

  constructor(private readonly logger?: VsoaLogger) {}

  /** The queue called `name`, made on first use. */
  get(name: string): WorkQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new WorkQueue({ logger: this.logger });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Resolves once every queue is empty and idle. */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.idle()));
  }
}
