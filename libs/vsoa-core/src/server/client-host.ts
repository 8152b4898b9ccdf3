import type { RateLimitedWarn, VsoaLogger } from '../logger';
import type { VsoaPayload } from '../protocol/payload';
import type { RemoteClient } from './remote-client';
import type { CallTelemetrySource } from '../telemetry/call-telemetry';
import type { CommandHandler, VsoaServerCounters } from './types';

/** Server settings with defaults applied. */
export interface ResolvedServerOptions {
  passwd: string;
  raw: boolean;
  handshakeTimeout: number;
  maxQueuedBytes: number;
  sendTimeout: number;
  allowQuickOverTls: boolean;
  maxSubscriptions: number;
  maxCallsInFlight: number;
  maxStreamsPerClient: number;
}

/** What a RemoteClient needs from its server (kept narrow so the two stay decoupled). */
export interface ClientHost {
  readonly options: ResolvedServerOptions;
  readonly counters: VsoaServerCounters;
  readonly logger: VsoaLogger;
  readonly warn: RateLimitedWarn;
  /** The handshake reply's param: the server info as JSON bytes. */
  readonly infoBytes: Buffer;
  readonly tls: boolean;
  /** True while the server is closing gracefully: in-flight calls finish, new ones are refused. */
  readonly draining: boolean;
  /** A client has no call in flight any more. */
  callsSettled(cli: RemoteClient): void;
  route(url: string): { pattern: string; handler: CommandHandler; rawParam: boolean } | undefined;
  sendQuick(packet: Buffer, port: number, address: string): void;
  clientConnected(cli: RemoteClient): void;
  clientClosed(cli: RemoteClient, wasConnected: boolean): void;
  emitDatagram(cli: RemoteClient, url: string, payload: VsoaPayload, quick: boolean): void;
  /** Server spans and durations of RPCs; null until the server listens. */
  readonly telemetry: CallTelemetrySource | null;
  /** The client's subscriptions changed: keep the server's index of subscribers in step. */
  subscriptionAdded(cli: RemoteClient, url: string): void;
  subscriptionRemoved(cli: RemoteClient, url: string): void;
}
