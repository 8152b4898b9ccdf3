import { Logger } from '@nestjs/common';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { checkRobotOptions, isValidUrl, parseVsoaUrl, UrlRouter, VsoaClient, VsoaError, VsoaPayload, VsoaStatusError } from '@vsoa/core';
import { HandlerCacheServer } from './handler-cache.server';
import { VSOA_SUBSCRIBER_TRANSPORT, VsoaSubscriberStatus } from './vsoa.constants';
import type { VsoaSubscriberStrategyOptions, VsoaUpstreamLinkOptions } from './vsoa.options';
import { VsoaSubscriberContext } from './vsoa-subscriber.context';

/** What `on()` of the subscriber strategy reports, for every upstream. */
export interface VsoaSubscriberEvents {
  /** The link to `upstream` is up (every time, after each reconnect). */
  connect: [upstream: string, info: unknown];
  /** The link to `upstream` dropped; its robot reconnects. */
  disconnect: [upstream: string, error?: Error];
  /** A connect attempt to `upstream` failed; its robot tries again. */
  connectError: [upstream: string, error: Error];
  /** `upstream` accepted the subscription to `url` (also each time it is renewed). */
  subscribed: [upstream: string, url: string];
}

/** The events `on()` accepts. */
export type VsoaSubscriberEventsMap = { [K in keyof VsoaSubscriberEvents]: (...args: VsoaSubscriberEvents[K]) => void };

/** One upstream server and the client linked to it. */
interface Upstream {
  url: string;
  options: VsoaUpstreamLinkOptions;
  client: VsoaClient;
}

/**
 * The consumer side of VSOA in Nest: each `@EventPattern('/url')` handler receives the publishes
 * of a remote server (or of several: fan-in) whose URL it covers — exact, a prefix `/a/`, or the
 * default `/`; the most specific pattern wins — through Nest's whole pipeline (guards, pipes,
 * interceptors, filters, request scope). `@Payload()` is the param, `@Ctx()` a
 * `VsoaSubscriberContext`. Every pattern is subscribed on every upstream; each link is kept by
 * the robot (reconnect, re-subscribe, names resolved again).
 *
 * ```ts
 * app.connectMicroservice({ strategy: new VsoaSubscriberStrategy({ url: 'vsoa://car' }) });
 * ```
 */
export class VsoaSubscriberStrategy
  extends HandlerCacheServer<VsoaSubscriberEventsMap, VsoaSubscriberStatus>
  implements CustomTransportStrategy
{
  override transportId: symbol;
  protected override readonly logger = new Logger('VsoaSubscriber');
  private readonly router = new UrlRouter<string>();
  private readonly upstreams: Upstream[] = [];
  private readonly listeners: Array<[keyof VsoaSubscriberEvents, (...args: never[]) => void]> = [];
  private started = false;

  /** Throws `VsoaError('INVALID_ARGUMENT')` when no upstream is given, a URL is malformed or a robot option out of range. */
  constructor(private readonly options: VsoaSubscriberStrategyOptions) {
    super();
    this.transportId = options.transportId ?? VSOA_SUBSCRIBER_TRANSPORT;
    const { url, upstreams, raw: _raw, logger: _logger, transportId: _id, ...shared } = options;
    const list = [...(url ? [url] : []), ...(upstreams ?? [])];
    if (list.length === 0) throw new VsoaError('INVALID_ARGUMENT', 'VsoaSubscriberStrategy needs `url` or `upstreams`');
    for (const entry of list) {
      const { url: target, ...own } = typeof entry === 'string' ? { url: entry } : entry;
      parseVsoaUrl(target);
      checkRobotOptions({ ...shared, ...own });
      this.upstreams.push({ url: target, options: { ...shared, ...own }, client: this.newClient() });
    }
  }

  /**
   * Subscribes every `@EventPattern` on every upstream and starts their robots; calls `callback()`
   * at once (an upstream that is down is waited for), or `callback(error)` when a handler cannot be
   * served: a `@MessagePattern` (publishes have no reply) or a pattern that is not a URL.
   */
  listen(callback: (error?: unknown) => void): void {
    try {
      this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Closes every link; idempotent. */
  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await Promise.all(this.upstreams.map(({ client }) => client.close()));
    this._status$.next(VsoaSubscriberStatus.DISCONNECTED);
  }

  /** Listens to link events of every upstream (`connect`, `disconnect`, `connectError`, `subscribed`), the upstream first. */
  on<K extends keyof VsoaSubscriberEventsMap>(event: K, callback: VsoaSubscriberEventsMap[K]): void {
    this.listeners.push([event, callback as never]);
  }

  /** The core client of the upstream (given `url`), or of each upstream (given `upstreams`), in order. */
  unwrap<T = VsoaClient | VsoaClient[]>(): T {
    const clients = this.upstreams.map(({ client }) => client);
    return (this.options.upstreams ? clients : clients[0]) as T;
  }

  private start(): void {
    if (this.started) return;
    const patterns: string[] = [];
    for (const [pattern, handler] of this.messageHandlers) {
      if (!handler.isEventHandler) {
        throw new VsoaError(
          'INVALID_ARGUMENT',
          `@MessagePattern('${pattern}') reached VsoaSubscriberStrategy, which only consumes publishes: use @EventPattern, ` +
            `or bind the handler to the serving strategy with @MessagePattern('${pattern}', VSOA_TRANSPORT)`,
        );
      }
      if (!isValidUrl(pattern)) throw new VsoaError('INVALID_ARGUMENT', `@EventPattern('${pattern}'): a VSOA URL starts with "/"`);
      patterns.push(pattern);
    }
    if (patterns.length === 0) this.logger.warn('no @EventPattern handlers: nothing to subscribe to');
    for (const pattern of patterns) this.router.set(pattern, pattern);
    this.started = true;
    this._status$.next(VsoaSubscriberStatus.RECONNECTING);
    for (const upstream of this.upstreams) this.link(upstream, patterns);
  }

  private newClient(): VsoaClient {
    return new VsoaClient({ raw: this.options.raw, logger: this.options.logger ?? this.logger });
  }

  /** Wires one upstream's client to the handlers and starts its robot. */
  private link(upstream: Upstream, patterns: string[]): void {
    const { url, client } = upstream;
    client.on('message', (msgUrl, payload, quick) => this.onPublish(upstream, msgUrl, payload, quick));
    client.on('connect', (info) => {
      this.logger.log(`linked to ${url}`);
      // The robot renews what the server took before; the rest is asked for now.
      const renewed = new Set(client.subscribed());
      for (const pattern of patterns) if (!renewed.has(pattern)) this.subscribe(upstream, pattern);
      this.report('connect', url, info);
      this.updateStatus();
    });
    client.on('disconnect', (error) => {
      if (!this.started) return;
      this.logger.warn(`link to ${url} lost${error ? `: ${error.message}` : ''}; reconnecting`);
      this.report('disconnect', url, error);
      this.updateStatus();
    });
    client.on('connectError', (error) => this.report('connectError', url, error));
    client.on('subscribed', (pattern) => this.report('subscribed', url, pattern));
    client.robot(url, upstream.options);
  }

  /** Asks `upstream` for `pattern`. A refusal is logged (and asked again after the next reconnect). */
  private subscribe({ url, client }: Upstream, pattern: string): void {
    client.subscribe(pattern).catch((error: unknown) => {
      if (error instanceof VsoaStatusError) this.logger.warn(`${url} refused the subscription to ${pattern}: ${error.message}`);
    });
  }

  private onPublish(upstream: Upstream, url: string, payload: VsoaPayload, quick: boolean): void {
    const pattern = this.router.find(url)?.value;
    if (pattern === undefined) return;
    const ctx = new VsoaSubscriberContext([url, payload, quick, upstream.url, upstream.client]);
    this.handleEvent(pattern, { pattern, data: payload.param }, ctx).catch((error: unknown) =>
      this.logger.error(`handler of ${pattern} failed on a publish from ${upstream.url}: ${(error as Error)?.message ?? error}`),
    );
  }

  private updateStatus(): void {
    if (!this.started) return;
    const all = this.upstreams.every(({ client }) => client.connected);
    this._status$.next(all ? VsoaSubscriberStatus.CONNECTED : VsoaSubscriberStatus.RECONNECTING);
  }

  private report<K extends keyof VsoaSubscriberEvents>(event: K, ...args: VsoaSubscriberEvents[K]): void {
    for (const [name, listener] of this.listeners) if (name === event) (listener as (...a: unknown[]) => void)(...args);
  }
}
