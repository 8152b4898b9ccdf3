import { DynamicModule, Logger, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { VsoaResourceExplorer } from './vsoa-resource';
import { VsoaServerStrategy } from './vsoa.server';
import { VsoaPublisher } from './vsoa.publisher';
import { getWorkQueueToken, VsoaWorkQueues } from './vsoa-work-queues';
import type { VsoaServerStrategyOptions } from './vsoa.options';
import {
  VSOA_MODULE_OPTIONS,
  VsoaConfigurableModule,
  VsoaModuleAsyncOptions,
  VsoaModuleExtras,
  VsoaModuleOptions,
} from './vsoa.module-definition';

/**
 * Provides the VSOA server strategy, a `VsoaPublisher` bound to it, and the named work queues
 * (`workQueues: ['device']`, injected with `@InjectWorkQueue('device')`). Global.
 *
 * ```ts
 * @Module({ imports: [VsoaModule.forRoot({ port: 3005 })] })
 * // or, from configuration:
 * @Module({ imports: [VsoaModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ port: config.get('VSOA_PORT') }) })] })
 * // main.ts: app.connectMicroservice({ strategy: app.get(VsoaServerStrategy) })
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: VsoaWorkQueues,
      inject: [VSOA_MODULE_OPTIONS],
      // Failed jobs reach Nest's log.
      useFactory: (options: VsoaServerStrategyOptions) => new VsoaWorkQueues(options.logger ?? new Logger('VsoaWorkQueue')),
    },
    {
      provide: VsoaServerStrategy,
      inject: [VSOA_MODULE_OPTIONS, VsoaWorkQueues],
      useFactory: (options: VsoaServerStrategyOptions, queues: VsoaWorkQueues) => new VsoaServerStrategy(options, queues),
    },
    { provide: VsoaPublisher, inject: [VsoaServerStrategy], useFactory: (strategy: VsoaServerStrategy) => new VsoaPublisher(strategy) },
    VsoaResourceExplorer,
  ],
  exports: [VsoaServerStrategy, VsoaPublisher, VsoaWorkQueues],
})
export class VsoaModule extends VsoaConfigurableModule {
  /** The strategy's options, given here. */
  static override forRoot(options: VsoaModuleOptions = {}): DynamicModule {
    return withQueues(super.forRoot(options), options);
  }

  /** The strategy's options from a factory, a class or an existing provider (`ConfigService`, say). */
  static override forRootAsync(options: VsoaModuleAsyncOptions): DynamicModule {
    return withQueues(super.forRootAsync(options), options);
  }
}

/** Makes the module global and provides (and exports) one token per named work queue. */
function withQueues(definition: DynamicModule, extras: VsoaModuleExtras): DynamicModule {
  const queues: Provider[] = (extras.workQueues ?? []).map((name) => ({
    provide: getWorkQueueToken(name),
    inject: [VsoaWorkQueues],
    useFactory: (all: VsoaWorkQueues) => all.get(name),
  }));
  return {
    ...definition,
    global: true,
    providers: [...(definition.providers ?? []), ...queues],
    exports: [...(definition.exports ?? []), ...queues.map((queue) => (queue as { provide: string }).provide)],
  };
}
