import { Logger } from '@nestjs/common';
import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import {
  checkRobotOptions,
  urlMatches,
  VsoaClient,
  VsoaReplicas,
  VsoaClientEvents,
  VsoaError,
  VsoaPayload,
  VsoaStatusError,
} from '@vsoa/core';
import type { VsoaReplicasEvents } from '@vsoa/core';
import { VsoaClientStatus } from './vsoa.constants';
import type { ClientVsoaOptions } from './vsoa.options';
import { VsoaRecord } from './vsoa-record';
import { VsoaRpcError } from './errors/vsoa-rpc.error';

/** The events `on()` accepts: the core client's. */
export type VsoaClientEventsMap = { [K in keyof VsoaClientEvents]: (...args: VsoaClientEvents[K]) => void };

/** A message published by the server, as `ClientVsoa.subscribe()` delivers it. */
export interface VsoaMessage<TParam = unknown> {
  url: string;
  param: TParam;
  data?: Buffer;
  quick: boolean;
}

const DEFAULT_TIMEOUT = 30_000;

/**
 * Nest ClientProxy for VSOA: `send('/url', param)` is an RPC (a non-zero status errors with a
 * VsoaRpcError; a reply announcing a stream tunnel gives the stream, a Duplex), `emit('/url',
 * param)` a datagram, `subscribe('/a/')` an Observable of publishes.
 * The link is kept by the robot: it reconnects and re-subscribes by itself.
 */
// The status type parameter stays `string`: with a narrower one, `ClientsModule.register({ customClass:
// ClientVsoa })` does not compile (it expects `Type<ClientProxy>`, whose subject is of string).
export class ClientVsoa extends ClientProxy<VsoaClientEventsMap> {
  protected readonly logger = new Logger('ClientVsoa');
  private client: VsoaClient | null = null;
  /** With `balance: 'round-robin'`: every server of the name, instead of `client`. */
  private replicas: VsoaReplicas | null = null;
  private connecting: Promise<VsoaClient> | null = null;
  private readonly url: string;
  /** Observers per subscribed URL: the last one to leave unsubscribes on the server. */
  private readonly watchers = new Map<string, { count: number; failures: Set<(error: unknown) => void> }>();
  private robotStarted = false;
  private replicasStarted: Promise<VsoaReplicas> | null = null;
  private lastStatus: VsoaClientStatus | null = null;
  private readonly pendingListeners: Array<[keyof VsoaClientEvents, (...args: never[]) => void]> = [];

  /** Throws `VsoaError('INVALID_ARGUMENT')` for robot options the seed refuses too (a turbo above keepalive, say). */
  constructor(private readonly options: ClientVsoaOptions = {}) {
    super();
    if (options.reconnect !== false) checkRobotOptions(options);
    this.url = options.url ?? `vsoa://${options.host ?? '127.0.0.1'}:${options.port ?? 3005}`;
  }

  /** Link state changes: `connected`, `reconnecting`, `disconnected`. */
  override get status(): Observable<VsoaClientStatus> {
    return this._status$.asObservable() as Observable<VsoaClientStatus>;
  }

  /**
   * Connects (once; later calls share the link). Rejects when the first attempt fails. With
   * `balance: 'round-robin'`, resolves with the VsoaReplicas once one replica is linked.
   */
  connect(): Promise<VsoaClient | VsoaReplicas> {
    if (this.options.balance === 'round-robin') return this.openReplicas();
    if (this.client?.connected) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    this.connecting = this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Closes the link and stops reconnecting. */
  async close(): Promise<void> {
    const replicas = this.replicas;
    this.replicas = null;
    this.replicasStarted = null;
    if (replicas) {
      await replicas.close();
      this.setStatus(VsoaClientStatus.DISCONNECTED);
    }
    const client = this.client;
    this.client = null;
    this.robotStarted = false;
    if (client) {
      await client.close();
      this.setStatus(VsoaClientStatus.DISCONNECTED);
    }
  }

  /** Listens to the core client's events (`connect`, `disconnect`, `message`, …). */
  override on<K extends keyof VsoaClientEventsMap>(event: K, callback: VsoaClientEventsMap[K]): void {
    // With round-robin, the VsoaReplicas' events: 'connect' and 'disconnect' name the replica first.
    if (this.replicas) this.replicas.on(event as keyof VsoaReplicasEvents, callback as never);
    else if (this.client) this.client.on(event, callback as never);
    else this.pendingListeners.push([event, callback as never]);
  }

  /** The core VsoaClient (VsoaReplicas with `balance: 'round-robin'`). Throws before `connect()`. */
  unwrap<T = VsoaClient>(): T {
    if (this.replicas) return this.replicas as T;
    if (!this.client) throw new Error('Not initialized. Please call the "connect" method first.');
    return this.client as T;
  }

  /**
   * Publishes on `url` (and, for a prefix like `/a/`, everything under it) as an Observable.
   * Subscribing before the link is up is fine: the subscription is made once the robot connects,
   * and renewed after every reconnect; `on('subscribed', url => …)` tells when the server has
   * taken it. The Observable errors only when the server refuses the subscription (a
   * `VsoaStatusError`), or, with `reconnect: false`, when the one connect attempt fails.
   * Unsubscribing the last observer of a URL unsubscribes it on the server.
   */
  subscribe<TParam = unknown>(url: string): Observable<VsoaMessage<TParam>> {
    if (this.options.balance === 'round-robin') return this.subscribeReplicas<TParam>(url);
    return new Observable<VsoaMessage<TParam>>((observer) => {
      const client = this.ensureClient();
      const listener = (msgUrl: string, payload: VsoaPayload, quick: boolean): void => {
        if (urlMatches(url, msgUrl)) observer.next({ url: msgUrl, param: payload.param as TParam, data: payload.data, quick });
      };
      const fail = (error: unknown): void => observer.error(error);
      client.on('message', listener);
      const watcher = this.watchers.get(url) ?? { count: 0, failures: new Set<(error: unknown) => void>() };
      watcher.count++;
      watcher.failures.add(fail);
      this.watchers.set(url, watcher);
      if (client.connected) {
        if (watcher.count === 1) this.subscribeOnServer(client, url);
      } else if (this.options.reconnect === false) {
        this.connect().catch(fail); // the 'connect' listener subscribes
      } else {
        this.startRobot(client);
      }
      return () => {
        client.off('message', listener);
        watcher.failures.delete(fail);
        if (--watcher.count > 0) return;
        this.watchers.delete(url);
        // Also while the link is down: the robot would renew the URL after the reconnect.
        if (client.subscribed().includes(url)) client.unsubscribe(url).catch(() => undefined);
      };
    });
  }

  /**
   * As ClientProxy's, minus the connect step once the link is up: Nest wraps every call in
   * `defer(connect)` + `mergeMap`, which costs more than the VSOA call itself.
   */
  override send<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    const linked = this.replicas ? this.replicas.connected : this.client?.connected;
    if (!linked || pattern === undefined || pattern === null || data === undefined || data === null) {
      return super.send<TResult, TInput>(pattern, data);
    }
    return new Observable<TResult>((observer) => {
      const callback = this.createObserver(observer);
      // createPacket (which runs Nest 12's dispatch hook) is missing in Nest 11.
      const packet = typeof this.createPacket === 'function' ? this.createPacket(pattern, data) : { pattern, data };
      return this.publish(packet, callback);
    });
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    // Round-robin: the next linked replica, which also serves the stream its reply may open.
    const client = this.replicas ? this.replicas.pick() : this.client;
    if (!client) {
      callback({ err: new VsoaError('NOT_CONNECTED', 'not connected'), isDisposed: true });
      return () => undefined;
    }
    const url = String(packet.pattern);
    const { param, options } = unpack(packet.data);
    let cancelled = false;
    client
      .fetch(url, {
        method: options.method,
        payload: { param, data: options.data },
        timeout: options.timeout ?? this.options.timeout ?? DEFAULT_TIMEOUT,
      })
      .then(
        (reply) => {
          if (cancelled) return;
          if (reply.status !== 0) {
            callback({ err: VsoaRpcError.fromReply(url, reply.status, reply.payload), isDisposed: true });
            return;
          }
          // A reply that announces a tunnel is a stream: hand the caller the Duplex to read.
          if (reply.tunid) {
            callback({ response: client.createStream(reply.tunid, { timeout: options.timeout }), isDisposed: true });
            return;
          }
          const { param: result, data } = reply.payload;
          callback({ response: data ? { param: result, data } : result, isDisposed: true });
        },
        (error: unknown) => {
          if (!cancelled) callback({ err: error, isDisposed: true });
        },
      );
    return () => {
      cancelled = true;
    };
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const client = await this.connect();
    if (client instanceof VsoaReplicas) {
      const { param, options } = unpack(packet.data);
      if (!client.datagram(String(packet.pattern), { param, data: options.data }, { quick: options.quick })) {
        throw new VsoaError('NOT_CONNECTED', 'datagram not sent: no replica linked');
      }
      return undefined as T;
    }
    const { param, options } = unpack(packet.data);
    const sent = client.datagram(String(packet.pattern), { param, data: options.data }, { quick: options.quick });
    if (!sent) throw new VsoaError('NOT_CONNECTED', 'datagram not sent: not connected');
    return undefined as T;
  }

  private async open(): Promise<VsoaClient> {
    const client = this.ensureClient();
    if (this.options.reconnect === false) {
      const { passwd, tls, connTimeout, lookup } = this.options;
      await client.connect(this.url, { passwd, tls, timeout: connTimeout, lookup });
      return client;
    }
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => {
        client.off('connectError', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        client.off('connect', onConnect);
        reject(error);
      };
      client.once('connect', onConnect);
      client.once('connectError', onError);
      this.startRobot(client);
    });
    return client;
  }

  /** The core client, made (with its listeners) on first use; the link is not opened here. */
  private ensureClient(): VsoaClient {
    if (this.client) return this.client;
    const { raw, reconnect, logger } = this.options;
    const client = new VsoaClient({ raw, logger: logger ?? this.logger, timeout: this.options.timeout ?? DEFAULT_TIMEOUT });
    this.client = client;
    for (const [event, listener] of this.pendingListeners.splice(0)) client.on(event, listener as never);
    client.on('connect', () => {
      this.logger.log(`connected to ${this.url}`);
      this.setStatus(VsoaClientStatus.CONNECTED);
      // URLs watched while the link was down; the robot renews the ones the server took before.
      const renewed = new Set(client.subscribed());
      for (const url of this.watchers.keys()) if (!renewed.has(url)) this.subscribeOnServer(client, url);
    });
    client.on('connectError', () => {
      if (this.client === client && reconnect !== false) this.setStatus(VsoaClientStatus.RECONNECTING);
    });
    client.on('disconnect', (error) => {
      if (this.client !== client) return; // closed on purpose
      this.logger.warn(`link to ${this.url} lost${error ? `: ${error.message}` : ''}${reconnect === false ? '' : '; reconnecting'}`);
      this.setStatus(reconnect === false ? VsoaClientStatus.DISCONNECTED : VsoaClientStatus.RECONNECTING);
    });
    return client;
  }

  /** Every replica of the name, linked (once) and followed; resolves once one is linked. */
  private openReplicas(): Promise<VsoaReplicas> {
    this.replicasStarted ??= (async () => {
      const {
        url: _url,
        host: _host,
        port: _port,
        timeout,
        raw,
        reconnect: _reconnect,
        logger,
        balance: _balance,
        ...robot
      } = this.options;
      const replicas = new VsoaReplicas({ raw, logger: logger ?? this.logger, timeout: timeout ?? DEFAULT_TIMEOUT });
      this.replicas = replicas;
      for (const [event, listener] of this.pendingListeners.splice(0)) replicas.on(event as keyof VsoaReplicasEvents, listener as never);
      const linked = new Promise<void>((resolve) => replicas.once('connect', () => resolve()));
      replicas.on('connect', () => this.setStatus(VsoaClientStatus.CONNECTED));
      replicas.on('disconnect', () => {
        if (!replicas.connected) this.setStatus(VsoaClientStatus.RECONNECTING);
      });
      await replicas.start(this.url, robot);
      await linked;
      return replicas;
    })();
    const started = this.replicasStarted;
    // A failed start may be tried again.
    started.catch(() => {
      if (this.replicasStarted === started) this.replicasStarted = null;
    });
    return started;
  }

  /** `subscribe()` with round-robin: on every replica (fan-in), before or after they link. */
  private subscribeReplicas<TParam>(url: string): Observable<VsoaMessage<TParam>> {
    return new Observable<VsoaMessage<TParam>>((observer) => {
      const listener = (msgUrl: string, payload: VsoaPayload, quick: boolean): void => {
        if (urlMatches(url, msgUrl)) observer.next({ url: msgUrl, param: payload.param as TParam, data: payload.data, quick });
      };
      let replicas: VsoaReplicas | null = null;
      let closed = false;
      this.openReplicas().then(
        (ready) => {
          if (closed) return;
          replicas = ready;
          ready.on('message', listener);
          ready.subscribe(url).catch((error: unknown) => observer.error(error));
        },
        (error: unknown) => observer.error(error),
      );
      return () => {
        closed = true;
        replicas?.off('message', listener);
        replicas?.unsubscribe(url).catch(() => undefined);
      };
    });
  }

  /** Reports a status once per change (a robot failing again and again stays "reconnecting"). */
  private setStatus(status: VsoaClientStatus): void {
    if (status === this.lastStatus) return;
    this.lastStatus = status;
    this._status$.next(status);
  }

  /** Starts the robot unless it runs already. */
  private startRobot(client: VsoaClient): void {
    if (this.robotStarted) return;
    this.robotStarted = true;
    const {
      url: _url,
      host: _host,
      port: _port,
      timeout: _timeout,
      raw: _raw,
      reconnect: _reconnect,
      logger: _logger,
      ...robot
    } = this.options;
    client.robot(this.url, robot);
  }

  /**
   * Sends the SUBSCRIBE for a watched URL. A refusal errors its observers; a link that drops
   * meanwhile is not an error: the next 'connect' sends it again.
   */
  private subscribeOnServer(client: VsoaClient, url: string): void {
    client.subscribe(url).catch((error: unknown) => {
      if (!(error instanceof VsoaStatusError)) return;
      this.logger.warn(`subscribe ${url} refused by ${this.url}: ${error.message}`);
      for (const fail of [...(this.watchers.get(url)?.failures ?? [])]) fail(error);
    });
  }
}

/** Splits `send()` / `emit()` data into the param and the record's options. */
function unpack(data: unknown): { param: unknown; options: VsoaRecord['options'] } {
  if (data instanceof VsoaRecord) return { param: data.param, options: data.options };
  return { param: data, options: {} };
}
