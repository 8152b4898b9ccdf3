import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, WritePacket } from '@nestjs/microservices';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Observable } from 'rxjs';
import {
  parseVsoaUrl,
  ProxyRoutes,
  RemoteClient,
  UrlRouter,
  VsoaPayload,
  VsoaRequest,
  VsoaServer,
  VsoaServerEvents,
  VsoaStatus,
} from '@vsoa/core';
import type { CommandHandler, ResourceOptions, VsoaClient, WorkQueue } from '@vsoa/core';
import { HandlerCacheServer } from './handler-cache.server';
import { VsoaWorkQueues } from './vsoa-work-queues';
import { VSOA_TRANSPORT, VsoaServerStatus } from './vsoa.constants';
import { VsoaContext } from './vsoa.context';
import type { VsoaServerStrategyOptions } from './vsoa.options';
import { errorToReply } from './errors/status-mapping';
import { toPayload } from './vsoa-response';

/** The events `on()` accepts: the core server's. */
export type VsoaServerEventsMap = { [K in keyof VsoaServerEvents]: (...args: VsoaServerEvents[K]) => void };

const DEFAULT_PORT = 3005;
/** How long close() lets in-flight calls finish (ms). */
const DEFAULT_CLOSE_TIMEOUT = 5000;

/**
 * Nest transport strategy serving VSOA: `@MessagePattern('/url')` handlers become RPC commands
 * (exact, prefix `/a/`, default `/`), `@EventPattern('/url')` handlers receive datagrams.
 */
export class VsoaServerStrategy extends HandlerCacheServer<VsoaServerEventsMap, VsoaServerStatus> implements CustomTransportStrategy {
  override transportId: symbol = VSOA_TRANSPORT;
  protected override readonly logger = new Logger('VsoaServer');
  private server: VsoaServer | null = null;
  private readonly events = new UrlRouter<string>();
  private readonly pendingListeners: Array<[keyof VsoaServerEvents, (...args: never[]) => void]> = [];

  private readonly workQueues: VsoaWorkQueues;
  private readonly resources = new Map<string, ResourceOptions>();
  private routes: ProxyRoutes | null = null;

  constructor(
    private readonly options: VsoaServerStrategyOptions = {},
    workQueues?: VsoaWorkQueues,
  ) {
    super();
    this.workQueues = workQueues ?? new VsoaWorkQueues(options.logger ?? this.logger);
  }

  /** The work queue called `name` (what `@MessagePattern(url, { workQueue: name })` handlers run on). */
  workQueue(name: string): WorkQueue {
    return this.workQueues.get(name);
  }

  /** Starts the VSOA server; calls `callback()` when listening or `callback(error)`. */
  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /**
   * Stops the server gracefully: no new connections or calls, the calls in flight get up to
   * `closeTimeout` (5 s) to be answered, then every connection closes.
   */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await this.routes?.close();
    this.routes = null;
    await server.close({ drainTimeout: this.options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT });
    this._status$.next(VsoaServerStatus.CLOSED);
  }

  /** Listens to the core server's `'client'` and `'datagram'` events. */
  on<K extends keyof VsoaServerEventsMap>(event: K, callback: VsoaServerEventsMap[K]): void {
    if (this.server) this.server.on(event, callback as never);
    else this.pendingListeners.push([event, callback as never]);
  }

  /** The core VsoaServer. Throws before `listen()`. */
  unwrap<T = VsoaServer>(): T {
    if (!this.server) {
      throw new Error('Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.');
    }
    return this.server as T;
  }

  /**
   * Serves a synced resource at `url` (see `VsoaServer.resource`): GET answers `get()`, SET
   * applies the param and publishes the new state. Registered now, or when the server starts.
   * A `@MessagePattern` on the same URL wins.
   */
  resource<T>(url: string, options: ResourceOptions<T>): this {
    this.resources.set(url, options as ResourceOptions);
    if (this.server && !this.messageHandlers.has(url)) this.server.resource(url, options);
    return this;
  }

  /** The link to the upstream of a `proxy` route, once started (to watch `'connect'` / `'disconnect'`). */
  upstream(prefix: string): VsoaClient | undefined {
    return this.routes?.upstream(prefix);
  }

  /** Publishes on `url` (0 subscribers reached when not listening). */
  publish(url: string, payload?: VsoaPayload, options?: { quick?: boolean }): number {
    return this.server ? this.server.publish(url, payload, options) : 0;
  }

  isSubscribed(url: string): boolean {
    return this.server?.isSubscribed(url) ?? false;
  }

  private async start(): Promise<void> {
    const { url, host, port, tls, proxy, streamTimeout: _streamTimeout, closeTimeout: _closeTimeout, ...serverOptions } = this.options;
    const target = url ? parseVsoaUrl(url) : { host: host ?? '127.0.0.1', port: port ?? DEFAULT_PORT };
    const server = new VsoaServer({ logger: this.logger, ...serverOptions });
    for (const [pattern, handler] of this.messageHandlers) {
      if (handler.isEventHandler) this.events.set(pattern, pattern);
      else {
        const queueName: unknown = handler.extras?.workQueue;
        const workQueue = typeof queueName === 'string' ? this.workQueues.get(queueName) : undefined;
        // On a work queue the call holds the queue until it is answered.
        const command: CommandHandler = workQueue
          ? (cli, req, payload) => new Promise<void>((settled) => this.onRequest(cli, req, payload, settled))
          : (cli, req, payload) => this.onRequest(cli, req, payload);
        server.command(pattern, command, { workQueue });
      }
    }
    for (const [url, resource] of this.resources) if (!this.messageHandlers.has(url)) server.resource(url, resource);
    if (proxy) {
      // After the handlers: a route whose prefix a handler already serves is left to the handler.
      this.routes = new ProxyRoutes(server, this.options.logger ?? this.logger);
      for (const [prefix, target] of Object.entries(proxy)) {
        const { url: upstream, ...upstreamOptions } = typeof target === 'string' ? { url: target } : target;
        this.routes.add(prefix, upstream, upstreamOptions);
      }
    }
    server.on('datagram', (cli, dgUrl, payload, quick) => this.onDatagram(cli, dgUrl, payload, quick));
    server.on('client', (cli, connected) => {
      const { address, port } = cli.address();
      this.logger.debug(`client ${cli.id} ${connected ? 'connected' : 'disconnected'} (${address}:${port}, ${server.count} connected)`);
    });
    for (const [event, listener] of this.pendingListeners.splice(0)) server.on(event, listener as never);
    await server.listen({ host: target.host, port: target.port, tls });
    this.server = server;
    const bound = server.address();
    this.logger.log(`listening on ${tls ? 'TLS ' : ''}vsoa://${bound?.address}:${bound?.port}`);
    this._status$.next(VsoaServerStatus.LISTENING);
  }

  /**
   * Runs the handler for one RPC. `settled` (given when the call runs on a work queue) is called
   * once the call is answered, so that the queue waits for it.
   */
  private onRequest(cli: RemoteClient, req: VsoaRequest, payload: VsoaPayload, settled?: () => void): void {
    const handler = this.getHandlerByPattern(req.pattern);
    if (!handler) {
      cli.reply(req.seqno, undefined, { status: VsoaStatus.INVALID_URL });
      settled?.();
      return;
    }
    const ctx = new VsoaContext([cli, req.url, payload, req, false]);
    let last: unknown;
    let replied = false;
    const respond = (packet: WritePacket): void => {
      if (replied) return;
      if (packet.err !== undefined && packet.err !== null) {
        replied = true;
        replyError(cli, req.seqno, packet.err);
        settled?.();
        return;
      }
      // Keep the last value an Observable produced; the closing packet may carry none.
      if ('response' in packet && (!packet.isDisposed || packet.response !== undefined)) last = packet.response;
      if (!packet.isDisposed) return;
      replied = true;
      if (last instanceof Readable) {
        this.replyWithStream(cli, req.seqno, last)
          .catch((error: unknown) => replyError(cli, req.seqno, error))
          .finally(settled);
        return;
      }
      try {
        cli.reply(req.seqno, toPayload(last));
      } catch (error) {
        replyError(cli, req.seqno, error);
      }
      settled?.();
    };
    const produce = async (): Promise<Observable<unknown>> => this.transformToObservable(await handler(payload.param, ctx));
    const run = this.runRequest(ctx, produce, respond);
    // A pipeline that rejects before producing a stream must still answer the call.
    if (run instanceof Promise) run.catch((error: unknown) => respond({ err: error, isDisposed: true }));
  }

  /**
   * Nest 12's `handleRequest` (processing hooks, then `send`); Nest 11 has no such method, so the
   * same steps are taken here.
   */
  private runRequest(ctx: VsoaContext, produce: () => Promise<Observable<unknown>>, respond: (packet: WritePacket) => void): unknown {
    if (typeof this.handleRequest === 'function') return this.handleRequest(ctx, produce, respond);
    const run = async (): Promise<void> => {
      this.send(await produce(), (packet) => {
        if (packet.isDisposed) this.onProcessingEndHook?.(this.transportId, ctx);
        respond(packet);
      });
    };
    return typeof this.onProcessingStartHook === 'function' ? this.onProcessingStartHook(this.transportId, ctx, run) : run();
  }

  /** Answers with a stream tunnel and pipes a handler's Readable into it. */
  private async replyWithStream(cli: RemoteClient, seqno: number, source: Readable): Promise<void> {
    const stream = await this.unwrap().createStream({ client: cli, timeout: this.options.streamTimeout });
    cli.reply(seqno, undefined, { tunid: stream.tunid });
    pipeline(source, stream).catch((error: Error) => this.logger.warn(`stream reply to client ${cli.id} ended early: ${error.message}`));
  }

  private onDatagram(cli: RemoteClient, url: string, payload: VsoaPayload, quick: boolean): void {
    const pattern = this.events.find(url)?.value;
    if (pattern === undefined) return;
    const ctx = new VsoaContext([cli, url, payload, null, quick]);
    this.handleEvent(pattern, { pattern, data: payload.param }, ctx).catch((error: unknown) =>
      this.logger.error(`datagram handler for ${url} failed: ${(error as Error)?.message ?? error}`),
    );
  }
}

/** Answers a call with the status and param an error maps to. */
function replyError(cli: RemoteClient, seqno: number, error: unknown): void {
  const { status, param } = errorToReply(error);
  cli.reply(seqno, { param }, { status });
}
