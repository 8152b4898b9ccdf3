import type { TlsOptions } from 'node:tls';
import type { VsoaMethod } from '../protocol/constants';
import type { VsoaPayload } from '../protocol/payload';
import type { VsoaLogger } from '../logger';
import type { WorkQueue } from '../work-queue';
import type { StreamOptions } from '../stream/tunnel-stream';
import type { RemoteClient } from './remote-client';

/** An RPC request as a command handler sees it. */
export interface VsoaRequest {
  /** The URL the client called. */
  url: string;
  /** The pattern of the command that serves it (`/files/` for `/files/a`). */
  pattern: string;
  seqno: number;
  method: VsoaMethod;
  /** The tunnel id the request carried, when its TUNNEL flag was set (else 0). */
  tunid: number;
}

/**
 * Serves one RPC. Reply with `cli.reply(req.seqno, …)`, now or later. If it throws or its promise
 * rejects before replying, the call is answered with the error's `status` (when it carries a
 * valid one) or NO_RESPONDING (4).
 */
export type CommandHandler = (cli: RemoteClient, req: VsoaRequest, payload: VsoaPayload) => unknown;

/**
 * A synced resource (the official packages' "syncer"): GET answers `get()`, SET applies the
 * param and publishes the new state on the resource's URL.
 */
export interface ResourceOptions<T = unknown> {
  /** The current state. */
  get: () => T;
  /**
   * Applies a SET. Return (or resolve) nothing or 0 to accept, or a status (2–6, 128–255) to
   * refuse it. Without `set`, a SET with an object param is merged into the state object.
   */
  set?: (param: unknown, payload: VsoaPayload) => number | void | Promise<number | void>;
}

export interface CommandOptions {
  /** Run this command's calls through a work queue (one at a time, in order). */
  workQueue?: WorkQueue;
  /**
   * Hand the handler the param's bytes as they came (a Buffer), not parsed: for commands that
   * forward calls. A Buffer param in a reply is sent as it is.
   */
  rawParam?: boolean;
}

export interface CreateStreamOptions extends StreamOptions {
  /**
   * The client the stream is for: the tunnel then binds the address that client reached us at and
   * accepts a connection only from that client's address. Without it, any address may connect.
   */
  client?: RemoteClient;
}

export interface VsoaServerOptions {
  /** Server info sent in the handshake reply (any JSON value; an object with `name` is usual). */
  info?: unknown;
  /** Password clients must present; none when empty or absent. */
  passwd?: string;
  /** Deliver params as raw strings instead of parsed JSON. */
  raw?: boolean;
  /** A connection that has not completed the handshake by then is closed (ms). Default 5000. */
  handshakeTimeout?: number;
  /** Per-client send queue budget in bytes before a slow client is dropped. Default 16 MiB:
   * room for a client that keeps 128 calls of 64 KiB in flight. */
  maxQueuedBytes?: number;
  /** How long a client's send queue may stay undrained before it is dropped (ms). Default 5000. */
  sendTimeout?: number;
  /** Allow quick (UDP, clear text) sends while serving TLS. Default false. */
  allowQuickOverTls?: boolean;
  /**
   * Subscriptions one client may hold. A SUBSCRIBE that would pass it is answered NO_MEMORY (6)
   * and changes nothing. Default 10000.
   */
  maxSubscriptions?: number;
  /**
   * Calls one client may have waiting for a reply. Past it the server stops reading that client
   * (TCP backpressure slows it down; nothing is dropped) until replies go out. Default 4096.
   */
  maxCallsInFlight?: number;
  /** Stream tunnels one client may have open or waiting; `createStream` refuses more. Default 64. */
  maxStreamsPerClient?: number;
  /**
   * Answer GET at DESCRIBE_URL (`/.vsoa/describe`) with the commands this server serves and the
   * URLs it has published on, for tools such as `vsoa ui`. Default false: VSOA servers do not
   * describe themselves, and a deployed service may not want to.
   */
  describe?: boolean;
  logger?: VsoaLogger;
}

export interface ListenOptions {
  /** Address to bind; default `0.0.0.0`. */
  host?: string;
  /** TCP port; the quick UDP channel binds the same number. 0 picks a free one. */
  port?: number;
  backlog?: number;
  /**
   * Serve TLS with these options (key, cert, ca, requestCert, …): Node's `tls.createServer` ones,
   * except that `ca` without `requestCert` asks for and verifies client certificates (two-way
   * authentication, as the seed's `ca_cert`); `requestCert: false` keeps it one-way.
   */
  tls?: TlsOptions;
}

export interface SendOptions {
  /** Send over the quick UDP channel instead of the TCP connection. */
  quick?: boolean;
}

export interface ReplyOptions {
  /** Reply status: 0 (default) or any 0-255. */
  status?: number;
  /** Announce a stream tunnel (sets the TUNNEL flag). */
  tunid?: number;
}

/** Counters an operator can read to see what a server has had to defend against. */
export interface VsoaServerCounters {
  /** Connections accepted. */
  connections: number;
  /** Protocol errors found (bad magic, oversize, handshake violations). */
  protocolErrors: number;
  /** Connections closed because of a protocol error. */
  closedForProtocol: number;
  /** Wrong passwords refused. */
  passwordRefused: number;
  /** Connections closed for not completing the handshake in time. */
  handshakeTimeouts: number;
  /** Clients dropped for not reading what was sent to them. */
  slowClientsDropped: number;
  /** Packets whose param is not valid JSON (RPCs answered ARGUMENTS, others dropped). */
  badParams: number;
  /** Quick datagrams dropped: unknown client id, or sent from another address. */
  spoofedDatagrams: number;
  /** UDP datagrams that are not valid packets. */
  badDatagrams: number;
  /** Stream tunnel connections turned away: from another address, or to a tunnel already taken. */
  streamsRefused: number;
  /** TLS handshakes that failed (no or bad client certificate, wrong protocol, renegotiation, timeout, …). */
  tlsHandshakeFailures: number;
  /** SUBSCRIBE requests refused because the client holds `maxSubscriptions` already. */
  subscriptionsRefused: number;
  /** Times a client's socket was paused for having `maxCallsInFlight` calls waiting. */
  callsThrottled: number;
  /** `createStream` calls refused because the client has `maxStreamsPerClient` tunnels. */
  streamLimitHits: number;
  /** Work-queue jobs of clients that disconnected before their turn, dropped unrun. */
  jobsDropped: number;
  /** `publish()` calls. */
  publishes: number;
  /** Publish packets sent to clients (one per client reached). */
  publishDeliveries: number;
  /** Datagrams received from clients, TCP and quick. */
  datagramsReceived: number;
  /** Datagrams sent to clients, TCP and quick. */
  datagramsSent: number;
}
