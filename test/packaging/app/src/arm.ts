import { Controller, Inject, Injectable, Scope } from '@nestjs/common';
import { CONTEXT, MessagePattern, Payload, RequestContext } from '@nestjs/microservices';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkQueue } from '@vsoa/core';
import { InjectWorkQueue, VsoaContext } from '@vsoa/nestjs';

/** The order in which arm jobs started (+) and ended (-). */
@Injectable()
export class ArmLog {
  readonly entries: string[] = [];
}

@Controller()
export class ArmController {
  constructor(private readonly log: ArmLog) {}

  @MessagePattern('/arm/move', { workQueue: 'arm' })
  async move(@Payload() n: number): Promise<number> {
    this.log.entries.push(`move${n}+`);
    await sleep(10); // the next call on 'arm' waits until this one is answered
    this.log.entries.push(`move${n}-`);
    return n;
  }
}

@Injectable()
export class Calibration {
  constructor(
    @InjectWorkQueue('arm') private readonly queue: WorkQueue,
    private readonly log: ArmLog,
  ) {}

  calibrate(): void {
    this.queue.add(async () => {
      this.log.entries.push('calibrate+');
      await sleep(10);
      this.log.entries.push('calibrate-');
    });
  }
}

let made = 0;

/** A fresh controller per call, with Nest's request context. */
@Controller({ scope: Scope.REQUEST })
export class ScopedController {
  private readonly instance = ++made;

  constructor(@Inject(CONTEXT) private readonly request: RequestContext<unknown, VsoaContext>) {}

  @MessagePattern('/scoped/')
  scoped(): unknown {
    return { instance: this.instance, pattern: this.request.pattern, url: this.request.context?.url, data: this.request.data };
  }
}
