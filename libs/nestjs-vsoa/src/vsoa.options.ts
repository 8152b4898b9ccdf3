import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { RobotOptions, UpstreamOptions, VsoaLogger, VsoaServerOptions } from '@vsoa/core';

/** Options of the VSOA server strategy. Give `url` (`vsoa://host:port`) or `host` and `port`. */
export interface VsoaServerStrategyOptions extends Omit<VsoaServerOptions, 'logger'> {
  url?: string;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 3005. */
  port?: number;
  tls?: TlsOptions;
  logger?: VsoaLogger;
  /** How long a stream reply (a handler that returned a Readable) waits for the caller (ms). Default 5000, as the seed's streams. */
  streamTimeout?: number;
  /** How long `close()` lets calls in flight finish before closing connections (ms). Default 5000. */
  closeTimeout?: number;
  /**
   * Gateway routes: URL prefix → upstream (`'vsoa://host:port'`, `'vsoa://name'`, or that with
   * options). `/car/x` is forwarded to the upstream of `/car` as `/x`; handlers of the app win
   * for their own URLs.
   */
  proxy?: Record<string, string | ({ url: string } & UpstreamOptions)>;
}

/** Options of ClientVsoa. Give `url` (`vsoa://host:port`) or `host` and `port`. */
export interface ClientVsoaOptions extends Omit<RobotOptions, 'tls'> {
  url?: string;
  host?: string;
  port?: number;
  tls?: ConnectionOptions;
  /** Default reply timeout of `send()` (ms). Default 30000. */
  timeout?: number;
  raw?: boolean;
  /** Keep the link with the robot (reconnect, re-subscribe). Default true. */
  reconnect?: boolean;
  /**
   * With a name that has several servers (DNS SRV records, say): `'first'` (the default) links
   * the first that answers and moves to the next when it dies; `'round-robin'` links every one
   * (`VsoaReplicas`) and spreads calls over those linked, subscriptions going to all of them.
   */
  balance?: 'first' | 'round-robin';
  /** With `balance: 'round-robin'`: how often the name is looked up again (ms). Default 30000. */
  refresh?: number;
  logger?: VsoaLogger;
}

/** How to reach one upstream server: the robot's options (password, TLS, keepalive, delays). */
export interface VsoaUpstreamLinkOptions extends Omit<RobotOptions, 'tls'> {
  tls?: ConnectionOptions;
}

/**
 * Options of VsoaSubscriberStrategy: the server(s) whose publishes the app consumes. Give `url`
 * (one server) or `upstreams` (several, each subscribed to every pattern: fan-in); the link
 * options here apply to each upstream unless the upstream says otherwise.
 */
export interface VsoaSubscriberStrategyOptions extends VsoaUpstreamLinkOptions {
  /** `vsoa://host:port` or `vsoa://name` (looked up before every reconnect). */
  url?: string;
  /** Several servers: a URL each, or a URL with its own link options. */
  upstreams?: Array<string | ({ url: string } & VsoaUpstreamLinkOptions)>;
  /** Deliver params as raw strings instead of parsed JSON. */
  raw?: boolean;
  logger?: VsoaLogger;
  /** Transport id that `@EventPattern(url, id)` binds to. Default `VSOA_SUBSCRIBER_TRANSPORT`. */
  transportId?: symbol;
}
