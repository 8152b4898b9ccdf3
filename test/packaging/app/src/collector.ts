import { Controller, Injectable, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Subject } from 'rxjs';
import { VSOA_SUBSCRIBER_TRANSPORT, VsoaSubscriberContext, VsoaSubscriberStrategy } from '@vsoa/nestjs';
import type { Light } from './light.controller';

@Injectable()
export class Received {
  readonly lights = new Subject<{ light: Light; upstream: string; name: unknown }>();
}

/** A second app consuming the car's publishes. */
@Controller()
export class TelemetryController {
  constructor(private readonly received: Received) {}

  @EventPattern<string>('/light', VSOA_SUBSCRIBER_TRANSPORT)
  onLight(@Payload() light: Light, @Ctx() ctx: VsoaSubscriberContext): void {
    this.received.lights.next({ light, upstream: ctx.upstream, name: (ctx.info as { name?: unknown })?.name });
  }
}

@Module({ controllers: [TelemetryController], providers: [Received] })
export class CollectorModule {}

export async function startCollector(url: string, passwd?: string): Promise<{ app: INestMicroservice; strategy: VsoaSubscriberStrategy }> {
  const strategy = new VsoaSubscriberStrategy({ url, passwd, reconnDelay: 100 });
  const app = await NestFactory.createMicroservice(CollectorModule, { strategy, logger: ['error'] });
  await app.listen();
  return { app, strategy };
}
