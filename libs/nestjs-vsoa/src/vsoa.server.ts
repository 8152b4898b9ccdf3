import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server, WritePacket } from '@nestjs/microservices';
import { parseVsoaUrl, RemoteClient, UrlRouter, VsoaPayload, VsoaRequest, VsoaServer, VsoaServerEvents } from '@vsoa/core';
import { VSOA_TRANSPORT, VsoaServerStatus } from './vsoa.constants';
import { VsoaContext } from './vsoa.context';
import type { VsoaServerStrategyOptions } from './vsoa.options';
import { errorToStatus } from './errors/status-mapping';
import { toPayload } from './vsoa-response';

/** The events `on()` accepts: the core server's. */
export type VsoaServerEventsMap = { [K in keyof VsoaServerEvents]: (...args: VsoaServerEvents[K]) => void };

const DEFAULT_PORT = 3005;

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

  constructor(private readonly options: VsoaServerStrategyOptions = {}) {
    super();
  }

  /** Starts the VSOA server; calls `callback()` when listening or `callback(error)`. */
  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Stops the server and closes every client connection. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await server.close();
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
    const { url, host, port, tls, ...serverOptions } = this.options;
    const target = url ? parseVsoaUrl(url) : { host: host ?? '127.0.0.1', port: port ?? DEFAULT_PORT };
    const server = new VsoaServer({ logger: this.logger, ...serverOptions });
    for (const [pattern, handler] of this.messageHandlers) {
      if (handler.isEventHandler) this.events.set(pattern, pattern);
      else server.command(pattern, (cli, req, payload) => this.onRequest(cli, req, payload));
    }
    server.on('datagram', (cli, dgUrl, payload, quick) => this.onDatagram(cli, dgUrl, payload, quick));
    for (const [event, listener] of this.pendingListeners.splice(0)) server.on(event, listener as never);
    await server.listen({ host: target.host, port: target.port, tls });
    this.server = server;
    this._status$.next(VsoaServerStatus.LISTENING);
  }

  private onRequest(cli: RemoteClient, req: VsoaRequest, payload: VsoaPayload): void {
    const handler = this.getHandlerByPattern(req.pattern);
    if (!handler) {
      cli.reply(req.seqno, undefined, { status: 3 });
      return;
    }
    const ctx = new VsoaContext([cli, req.url, payload, req, false]);
    let last: unknown;
    let replied = false;
    const respond = (packet: WritePacket): void => {
      if (replied) return;
      if (packet.err !== undefined && packet.err !== null) {
        replied = true;
        const { status, message } = errorToStatus(packet.err);
        cli.reply(req.seqno, { param: { error: message } }, { status });
        return;
      }
      if ('response' in packet && !packet.isDisposed) last = packet.response;
      if (packet.isDisposed) {
        replied = true;
        if ('response' in packet && packet.response !== undefined) last = packet.response;
        try {
          cli.reply(req.seqno, toPayload(last));
        } catch (error) {
          const { status, message } = errorToStatus(error);
          cli.reply(req.seqno, { param: { error: message } }, { status });
        }
      }
    };
    const run = this.handleRequest(ctx, async () => this.transformToObservable(await handler(payload.param, ctx)), respond) as unknown;
    // A pipeline that rejects before producing a stream must still answer the call.
    void Promise.resolve(run).catch((error: unknown) => respond({ err: error, isDisposed: true }));
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
