import { DynamicModule, Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { VsoaResourceExplorer } from './vsoa-resource';
import { VsoaServerStrategy } from './vsoa.server';
import { VsoaPublisher } from './vsoa.publisher';
import { getWorkQueueToken, VsoaWorkQueues } from './vsoa-work-queues';
import type { VsoaServerStrategyOptions } from './vsoa.options';

/**
 * Provides the VSOA server strategy, a `VsoaPublisher` bound to it, and the named work queues
 * (`workQueues: ['device']`, injected with `@InjectWorkQueue('device')`).
 *
 * ```ts
 * @Module({ imports: [VsoaModule.forRoot({ port: 3005 })] })
 * // main.ts: app.connectMicroservice({ strategy: app.get(VsoaServerStrategy) })
 * ```
 */
@Module({})
export class VsoaModule {
  static forRoot(options: VsoaServerStrategyOptions = {}): DynamicModule {
    const workQueues = new VsoaWorkQueues(options.logger ?? new Logger('VsoaWorkQueue')); // failed jobs reach Nest's log
    const strategy = new VsoaServerStrategy(options, workQueues);
    const queueProviders = (options.workQueues ?? []).map((name) => ({
      provide: getWorkQueueToken(name),
      useFactory: () => workQueues.get(name),
    }));
    return {
      module: VsoaModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: VsoaServerStrategy, useValue: strategy },
        { provide: VsoaPublisher, useFactory: () => new VsoaPublisher(strategy) },
        { provide: VsoaWorkQueues, useValue: workQueues },
        VsoaResourceExplorer,
        ...queueProviders,
      ],
      exports: [VsoaServerStrategy, VsoaPublisher, VsoaWorkQueues, ...queueProviders.map((p) => p.provide)],
    };
  }
}
