import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import type { VsoaMethodLike } from '../protocol/method';
import type { VsoaPayload } from '../protocol/payload';
import type { VsoaLogger } from '../logger';
import type { LookupOptions } from '../position/position-types';

export interface VsoaClientOptions {
  /** Deliver params as raw strings instead of parsed JSON, and send string params as-is. */
  raw?: boolean;
  /** Default timeout of calls (fetch, subscribe, ping) in ms. Default 60000. */
  timeout?: number;
  /** Allow quick (UDP, clear text) datagrams on a TLS connection. Default false. */
  allowQuickOverTls?: boolean;
  logger?: VsoaLogger;
}

export interface ConnectOptions {
  /** Server password. */
  passwd?: string;
  /** Time allowed for TCP connect plus handshake (ms). Default 10000, as the seed's. */
  timeout?: number;
  /** Connect with TLS using these Node options (ca, cert, key, servername, …). */
  tls?: ConnectionOptions;
  /** How to look up `vsoa://name` URLs (position file, env, retries). */
  lookup?: LookupOptions;
}

export interface FetchOptions {
  /** GET (default) or SET: `'GET'` / `'SET'` in any case, or `METHOD_GET` / `METHOD_SET`; anything else is refused. */
  method?: VsoaMethodLike;
  payload?: VsoaPayload;
  /** Reply timeout (ms); the client's default otherwise. */
  timeout?: number;
}

/** An RPC reply. A non-zero status is data, not an exception. */
export interface VsoaReply {
  status: number;
  seqno: number;
  /** Stream tunnel id when the reply announces one (TUNNEL flag), else 0. */
  tunid: number;
  payload: VsoaPayload;
}

export interface RobotOptions extends ConnectOptions {
  /** Ping period while idle (ms), at least 50. Default 3000. */
  keepalive?: number;
  /** Timeout of one keepalive ping (ms). Default: the keepalive period. */
  pingTimeout?: number;
  /** Lost pings in a row that declare the link dead. Default 3. */
  pingLost?: number;
  /** Time allowed for each connect attempt (ms), at least 50. Default 10000, as the seed's. */
  connTimeout?: number;
  /** Delay before reconnecting after the link drops or an attempt fails (ms). Default 1000. */
  reconnDelay?: number;
  /**
   * Ping period while calls are pending, to provoke fast retransmit (ms): 0 (off, the default),
   * or from 25 up to `keepalive`. Change it on a running robot with `client.robotPingTurbo()`.
   */
  turbo?: number;
}

export interface VsoaClientEvents {
  /** The handshake succeeded (every time, with the robot). */
  connect: [info: unknown];
  /** An established link dropped or was closed. */
  disconnect: [error?: Error];
  /** A robot connect attempt failed; it will try again after its delay. */
  connectError: [error: Error];
  /** The server accepted a subscription to `url` (also each time the robot renews it). */
  subscribed: [url: string];
  /** A publish covered by this client's subscriptions. */
  message: [url: string, payload: VsoaPayload, quick: boolean];
  /** A datagram from the server. */
  datagram: [url: string, payload: VsoaPayload, quick: boolean];
  /** The server set this client's QoS priority. */
  priority: [priority: number];
}

export type { PeerCertificate };
