import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { VsoaServerStrategyOptions } from './vsoa.options';

/** What `forRoot` / `forRootAsync` take besides the strategy's options: known before any factory runs. */
export interface VsoaModuleExtras {
  /** Names of the work queues to provide (`@InjectWorkQueue(name)`); injection tokens, so never from a factory. */
  workQueues?: string[];
}

/**
 * `VsoaModule.forRoot(options)` and `forRootAsync({ imports, inject, useFactory | useClass |
 * useExisting })`, built the way Nest's own configurable modules are. A `useClass` /
 * `useExisting` provider implements `VsoaOptionsFactory`.
 */
export const {
  ConfigurableModuleClass: VsoaConfigurableModule,
  MODULE_OPTIONS_TOKEN: VSOA_MODULE_OPTIONS,
  OPTIONS_TYPE: VSOA_MODULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: VSOA_MODULE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<VsoaServerStrategyOptions>({ moduleName: 'Vsoa' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createVsoaOptions')
  .setExtras<VsoaModuleExtras>({ workQueues: [] })
  .build();

/** The options `forRoot` takes. */
export type VsoaModuleOptions = typeof VSOA_MODULE_OPTIONS_TYPE;
/** The options `forRootAsync` takes. */
export type VsoaModuleAsyncOptions = typeof VSOA_MODULE_ASYNC_OPTIONS_TYPE;

/** A class that makes the strategy's options, for `forRootAsync({ useClass })`. */
export interface VsoaOptionsFactory {
  createVsoaOptions(): VsoaServerStrategyOptions | Promise<VsoaServerStrategyOptions>;
}
