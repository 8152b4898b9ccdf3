/**
 * VSOA (Vehicle SOA) in pure TypeScript: codec, server, client and robot, quick channel, streams, TLS,
 * position service, work queues, gateway.
 *
 * @packageDocumentation
 * @module @vsoa/core
 */
export * from './protocol/constants';
export { encodePacket, decodePacket, declaredLength } from './protocol/packet';
export { METHOD_GET, METHOD_SET, toMethod } from './protocol/method';
export type { VsoaMethodLike } from './protocol/method';
export type { VsoaPacket, PacketFields } from './protocol/packet';
export { PacketParser, parseDatagram } from './protocol/parser';
export type { PacketParserOptions } from './protocol/parser';
export type { VsoaPayload } from './protocol/payload';
export { MAX_PARAM_DEPTH } from './protocol/payload';
export { urlMatches, isValidUrl, UrlRouter } from './url';
export * from './errors';
export type { VsoaLogger } from './logger';
export { VsoaServer } from './server/server';
export { safeAssign } from './server/merge';
export type { VsoaServerEvents } from './server/server';
export { RemoteClient } from './server/remote-client';
export { DESCRIBE_URL, MAX_DESCRIBED_PUBLISHES } from './server/description';
export type { VsoaServerDescription } from './server/description';
export type { RemoteClientEvents } from './server/remote-client';
export type * from './server/types';
export type { PeerAddress } from './transport/address';
export { VsoaClient } from './client/client';
export { VsoaReplicas } from './client/replicas';
export type { ReplicaOptions, VsoaReplicasEvents } from './client/replicas';
export { checkRobotOptions, MIN_TURBO, MIN_ROBOT_PERIOD } from './client/robot';
export { DEFAULT_CONNECT_TIMEOUT } from './client/link';
export type * from './client/types';
export { parseVsoaUrl } from './client/vsoa-url';
export { fetch, DEFAULT_FETCH_TIMEOUT } from './client/one-shot-fetch';
export type { OneShotFetchOptions, OneShotReply } from './client/one-shot-fetch';
export type { VsoaUrl } from './client/vsoa-url';
export { VsoaServerStream } from './stream/server-stream';
export { VsoaClientStream } from './stream/client-stream';
export { TunnelStream, DEFAULT_STREAM_TIMEOUT, DEFAULT_SERVER_STREAM_TIMEOUT } from './stream/tunnel-stream';
export type { StreamOptions } from './stream/tunnel-stream';
export { WorkQueue } from './work-queue';
export type { WorkJob, WorkQueueOptions } from './work-queue';
export * from './position';
export { VsoaProxy } from './proxy/proxy';
export { ProxyRoutes } from './proxy/proxy-routes';
export type { UpstreamOptions } from './proxy/proxy-routes';
