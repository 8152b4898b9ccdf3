import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server, WritePacket } from '@nestjs/microservices';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseVsoaUrl, RemoteClient, UrlRouter, VsoaPayload, VsoaRequest, VsoaServer, VsoaServerEvents, VsoaStatus } from '@vsoa/core';
import type { WorkQueue } from '@vsoa/core';
import { VsoaWorkQueues } from './vsoa-work-queues';
import { VSOA_TRANSPORT, VsoaServerStatus } from './vsoa.constants';
import { VsoaContext } from './vsoa.context';
import type { VsoaServerStrategyOptions } from './vsoa.options';
import { errorToStatus } from './errors/status-mapping';
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
export class VsoaServerStrategy extends Server<VsoaServerEventsMap, VsoaServerStatus> implements CustomTransportStrategy {
  override transportId: symbol = VSOA_TRANSPORT;
  protected override readonly logger = new Logger('VsoaServer');
  private server: VsoaServer | null = null;
  private readonly events = new UrlRouter<string>();
  private readonly pendingListeners: Array<[keyof VsoaServerEvents, (...args: never[]) => void]> = [];

  private readonly workQueues: VsoaWorkQueues;

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

  /** Publishes on `url` (0 subscribers reached when not listening). */
  publish(url: string, payload?: VsoaPayload, options?: { quick?: boolean }): number {
    return this.server ? this.server.publish(url, payload, options) : 0;
  }

  isSubscribed(url: string): boolean {
    return this.server?.isSubscribed(url) ?? false;
  }

  private async start(): Promise<void> {
    const {
      url,
      host,
      port,
      tls,
      streamTimeout: _streamTimeout,
      closeTimeout: _closeTimeout,
      workQueues: _queues,
      ...serverOptions
    } = this.options;
    const target = url ? parseVsoaUrl(url) : { host: host ?? '127.0.0.1', port: port ?? DEFAULT_PORT };
    const server = new VsoaServer({ logger: this.logger, ...serverOptions });
    for (const [pattern, handler] of this.messageHandlers) {
      if (handler.isEventHandler) this.events.set(pattern, pattern);
      else {
        const queueName: unknown = handler.extras?.workQueue;
        const workQueue = typeof queueName === 'string' ? this.workQueues.get(queueName) : undefined;
        server.command(pattern, (cli, req, payload) => this.onRequest(cli, req, payload), { workQueue });
      }
    }
    server.on('datagram', (cli, dgUrl, payload, quick) => this.onDatagram(cli, dgUrl, payload, quick));
    for (const [event, listener] of this.pendingListeners.splice(0)) server.on(event, listener as never);
    await server.listen({ host: target.host, port: target.port, tls });
    this.server = server;
    this._status$.next(VsoaServerStatus.LISTENING);
  }

  /** Runs the handler for one RPC; settles once the call is answered (so a work queue waits for it). */
  private onRequest(cli: RemoteClient, req: VsoaRequest, payload: VsoaPayload): Promise<void> {
    const handler = this.getHandlerByPattern(req.pattern);
    if (!handler) {
      cli.reply(req.seqno, undefined, { status: VsoaStatus.INVALID_URL });
      return Promise.resolve();
    }
    const ctx = new VsoaContext([cli, req.url, payload, req, false]);
    const fail = (error: unknown): void => {
      const { status, message } = errorToStatus(error);
      cli.reply(req.seqno, { param: { error: message } }, { status });
    };
    return new Promise<void>((done) => {
      let last: unknown;
      let replied = false;
      const respond = (packet: WritePacket): void => {
        if (replied) return;
        if (packet.err !== undefined && packet.err !== null) {
          replied = true;
          fail(packet.err);
          done();
          return;
        }
        // Keep the last value an Observable produced; the closing packet may carry none.
        if ('response' in packet && (!packet.isDisposed || packet.response !== undefined)) last = packet.response;
        if (!packet.isDisposed) return;
        replied = true;
        this.sendResult(cli, req.seqno, last).catch(fail).finally(done);
      };
      const run = this.handleRequest(ctx, async () => this.transformToObservable(await handler(payload.param, ctx)), respond) as unknown;
      // A pipeline that rejects before producing a stream must still answer the call.
      void Promise.resolve(run).catch((error: unknown) => respond({ err: error, isDisposed: true }));
    });
  }

  /** Replies with a handler's result; a Node Readable is sent through a stream tunnel. */
  private async sendResult(cli: RemoteClient, seqno: number, value: unknown): Promise<void> {
    if (!(value instanceof Readable)) {
      cli.reply(seqno, toPayload(value));
      return;
    }
    const stream = await this.unwrap().createStream({ client: cli, timeout: this.options.streamTimeout });
    cli.reply(seqno, undefined, { tunid: stream.tunid });
    pipeline(value, stream).catch((error: Error) => this.logger.warn(`stream reply to client ${cli.id} ended early: ${error.message}`));
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
