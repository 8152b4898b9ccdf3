/**
 * The NestJS transport for VSOA: `VsoaServerStrategy`, `ClientVsoa`, `VsoaModule` and friends.
 *
 * @packageDocumentation
 * @module @vsoa/nestjs
 */
export { VSOA_TRANSPORT, VSOA_SUBSCRIBER_TRANSPORT, VsoaServerStatus, VsoaClientStatus, VsoaSubscriberStatus } from './vsoa.constants';
export { VsoaServerStrategy } from './vsoa.server';
export type { VsoaServerEventsMap } from './vsoa.server';
export { VsoaSubscriberStrategy } from './vsoa-subscriber.strategy';
export type { VsoaSubscriberEvents, VsoaSubscriberEventsMap } from './vsoa-subscriber.strategy';
export { VsoaSubscriberContext } from './vsoa-subscriber.context';
export type { VsoaSubscriberContextArgs } from './vsoa-subscriber.context';
export { ClientVsoa } from './client-vsoa';
export type { VsoaClientEventsMap, VsoaMessage } from './client-vsoa';
export { VsoaContext } from './vsoa.context';
export type { VsoaContextArgs } from './vsoa.context';
export { VsoaModule } from './vsoa.module';
export { VSOA_MODULE_OPTIONS } from './vsoa.module-definition';
export type { VsoaModuleOptions, VsoaModuleAsyncOptions, VsoaModuleExtras, VsoaOptionsFactory } from './vsoa.module-definition';
export { VsoaResource, VsoaResourceExplorer } from './vsoa-resource';
export { VsoaPublisher } from './vsoa.publisher';
export { VsoaRecord, VsoaRecordBuilder } from './vsoa-record';
export type { VsoaRecordOptions } from './vsoa-record';
export type { VsoaServerStrategyOptions, ClientVsoaOptions, VsoaSubscriberStrategyOptions, VsoaUpstreamLinkOptions } from './vsoa.options';
export { VsoaExceptionFilter } from './errors/vsoa-exception.filter';
export { VsoaRpcError } from './errors/vsoa-rpc.error';
export { errorToReply, errorToStatus, httpToVsoaStatus, DEFAULT_ERROR_STATUS } from './errors/status-mapping';
export type { ErrorReply } from './errors/status-mapping';
export { VsoaWorkQueues, InjectWorkQueue, getWorkQueueToken } from './vsoa-work-queues';
