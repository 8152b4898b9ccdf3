import { DynamicModule, Module } from '@nestjs/common';
import { VsoaServerStrategy } from './vsoa.server';
import { VsoaPublisher } from './vsoa.publisher';
import type { VsoaServerStrategyOptions } from './vsoa.options';

/**
 * Provides the VSOA server strategy and a `VsoaPublisher` bound to it.
 *
 * ```ts
 * @Module({ imports: [VsoaModule.forRoot({ port: 3005 })] })
 * // main.ts: app.connectMicroservice({ strategy: app.get(VsoaServerStrategy) })
 * ```
 */
@Module({})
export class VsoaModule {
  static forRoot(options: VsoaServerStrategyOptions = {}): DynamicModule {
    const strategy = new VsoaServerStrategy(options);
    return {
      module: VsoaModule,
      global: true,
      providers: [
        { provide: VsoaServerStrategy, useValue: strategy },
        { provide: VsoaPublisher, useFactory: () => new VsoaPublisher(strategy) },
      ],
      exports: [VsoaServerStrategy, VsoaPublisher],
    };
  }
}
