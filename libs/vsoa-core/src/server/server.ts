import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer as createNetServer, AddressInfo, Server as NetServer, Socket } from 'node:net';
import { createServer as createTlsServer, TlsOptions, TLSSocket } from 'node:tls';
import { MAX_PACKET_LENGTH, MAX_QUICK_PACKET_LENGTH, PacketType, VsoaStatus } from '../protocol/constants';
import { encodePacket, VsoaPacket } from '../protocol/packet';
import { encodeParam, VsoaPayload } from '../protocol/payload';
import { isValidUrl, UrlRouter } from '../url';
import { SubscriptionIndex } from './subscription-index';
import { mergeInto } from './merge';
import { RpcTelemetry } from '../telemetry/rpc-telemetry';
import { ServerMetrics } from '../telemetry/server-metrics';
import { VsoaError } from '../errors';
import { defaultLogger, RateLimitedWarn, VsoaLogger } from '../logger';
import type { WorkQueue } from '../work-queue';
import { VsoaServerStream } from '../stream/server-stream';
import { DEFAULT_SERVER_STREAM_TIMEOUT } from '../stream/tunnel-stream';
import { QuickChannel } from './quick-channel';
import { DESCRIBE_URL, PublishedUrls } from './description';
import { RemoteClient } from './remote-client';
import type { ClientHost, ResolvedServerOptions } from './client-host';
import type {
  CommandHandler,
  CommandOptions,
  CreateStreamOptions,
  ResourceOptions,
  ListenOptions,
  SendOptions,
  VsoaServerCounters,
  VsoaServerOptions,
} from './types';

export interface VsoaServerEvents {
  /** A client completed its handshake (`connected` true) or a connected client left (false). */
  client: [cli: RemoteClient, connected: boolean];
  /** A datagram from a client, over TCP or (quick) UDP. */
  datagram: [cli: RemoteClient, url: string, payload: VsoaPayload, quick: boolean];
}

/** Wraps a handler so each call is a job on `queue`; its failure still reaches the caller's reply. */
function queuedHandler(handler: CommandHandler, queue: WorkQueue): CommandHandler {
  return (cli, req, payload) =>
    new Promise<unknown>((resolve, reject) => {
      const job = async (): Promise<void> => {
        cli.jobStarted(queue, job);
        try {
          resolve(await handler(cli, req, payload));
        } catch (error) {
          reject(error);
        }
      };
      // The client drops the jobs still waiting if it disconnects: their replies could not be sent.
      cli.jobQueued(queue, job);
      queue.add(job);
    });
}

/** A positive whole number option, or its default; anything else throws INVALID_ARGUMENT. */
function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new VsoaError('INVALID_ARGUMENT', `${name} must be a whole number >= 1, got ${value}`);
  return value;
}

/** A registered command. */
interface Command {
  handler: CommandHandler;
  rawParam: boolean;
}

/** Retries when port 0 gave a TCP port whose UDP twin is taken. */
const PORT_PICK_ATTEMPTS = 20;

/**
 * A VSOA server: a TCP (or TLS) listener and a quick UDP channel on the same port number.
 *
 * Register commands with `command()`, then `listen()`. Clients appear in `clients()` once their
 * handshake succeeds; `publish()` reaches every authed client whose subscriptions cover the URL.
 */
export class VsoaServer extends EventEmitter<VsoaServerEvents> {
  /** What the server has had to defend against; read it, don't write it. */
  readonly counters: VsoaServerCounters = {
    connections: 0,
    protocolErrors: 0,
    closedForProtocol: 0,
    passwordRefused: 0,
    handshakeTimeouts: 0,
    slowClientsDropped: 0,
    badParams: 0,
    spoofedDatagrams: 0,
    badDatagrams: 0,
    streamsRefused: 0,
    tlsHandshakeFailures: 0,
    subscriptionsRefused: 0,
    callsThrottled: 0,
    streamLimitHits: 0,
    jobsDropped: 0,
    publishes: 0,
    publishDeliveries: 0,
    datagramsReceived: 0,
    datagramsSent: 0,
  };
  private readonly options: ResolvedServerOptions;
  private readonly logger: VsoaLogger;
  private readonly warn: RateLimitedWarn;
  private readonly router = new UrlRouter<Command>();
  /** Clients by the URLs they subscribed to: a publish looks only at those that match. */
  private readonly subscribers = new SubscriptionIndex<RemoteClient>();
  /** Stream tunnels open or waiting, per client they were opened for. */
  private readonly clientStreams = new Map<RemoteClient, number>();
  /** Connected (handshaken) clients by id. */
  private readonly connected = new Map<number, RemoteClient>();
  /** Every open connection, handshaken or not. */
  private readonly sockets = new Set<RemoteClient>();
  /** Ids handed out to open connections (handshaken or not), kept unique. */
  private readonly ids = new Set<number>();
  private infoBytes: Buffer;
  private listener: NetServer | null = null;
  private quick: QuickChannel | null = null;
  /** The TLS options of `listen()` (streams reuse them); undefined when serving plain TCP. */
  private tlsOptions: TlsOptions | undefined;
  /** Open streams, closed with the server. */
  private readonly streams = new Set<VsoaServerStream>();
  private bound: AddressInfo | null = null;
  private closing: Promise<void> | null = null;
  /** Set while a graceful close waits for in-flight calls; resolves it. */
  private drainWaiter: (() => void) | null = null;
  private readonly host: ClientHost;
  /** Spans, durations and the `vsoa.server.*` instruments: made at listen(), after the app set OpenTelemetry up. */
  private telemetry: RpcTelemetry | null = null;
  private metrics: ServerMetrics | null = null;
  /** With `describe: true`: the info and published URLs its self-description lists. */
  private description: { info: unknown; published: PublishedUrls } | null = null;

  constructor(options: VsoaServerOptions = {}) {
    super();
    this.options = {
      passwd: options.passwd ?? '',
      raw: options.raw ?? false,
      handshakeTimeout: options.handshakeTimeout ?? 5000,
      maxQueuedBytes: options.maxQueuedBytes ?? 16 * 1024 * 1024,
      sendTimeout: options.sendTimeout ?? 5000,
      allowQuickOverTls: options.allowQuickOverTls ?? false,
      maxSubscriptions: positiveOption('maxSubscriptions', options.maxSubscriptions, 10_000),
      maxCallsInFlight: positiveOption('maxCallsInFlight', options.maxCallsInFlight, 4096),
      maxStreamsPerClient: positiveOption('maxStreamsPerClient', options.maxStreamsPerClient, 64),
    };
    this.logger = options.logger ?? defaultLogger;
    this.warn = new RateLimitedWarn(this.logger);
    const info = options.info ?? { name: 'vsoa' };
    this.infoBytes = encodeParam(info, false);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const server = this;
    this.host = {
      options: this.options,
      counters: this.counters,
      logger: this.logger,
      warn: this.warn,
      get infoBytes() {
        return server.infoBytes;
      },
      get tls() {
        return server.tlsOptions !== undefined;
      },
      get draining() {
        return server.drainWaiter !== null;
      },
      get telemetry() {
        return server.telemetry;
      },
      callsSettled: () => this.checkDrained(),
      route: (url) => {
        const found = this.router.find(url);
        return found && { pattern: found.pattern, handler: found.value.handler, rawParam: found.value.rawParam };
      },
      sendQuick: (packet, port, address) => this.quick?.send(packet, port, address),
      clientConnected: (cli) => {
        this.connected.set(cli.id, cli);
        this.emit('client', cli, true);
      },
      clientClosed: (cli, wasConnected) => {
        this.sockets.delete(cli);
        this.ids.delete(cli.id);
        if (wasConnected && this.connected.get(cli.id) === cli) {
          this.connected.delete(cli.id);
          this.emit('client', cli, false);
        }
      },
      emitDatagram: (cli, url, payload, quick) => this.emit('datagram', cli, url, payload, quick),
      subscriptionAdded: (cli, url) => this.subscribers.add(url, cli),
      subscriptionRemoved: (cli, url) => this.subscribers.delete(url, cli),
    };
    if (options.describe) this.describeItself(info);
  }

  /** Server info sent to clients in the handshake reply. */
  set info(info: unknown) {
    this.infoBytes = encodeParam(info, false);
    if (this.description) this.description.info = info;
  }

  /**
   * Registers an RPC command. `url` is exact (`/echo`), a prefix ending in `/` (`/files/`
   * serves `/files` and everything under it; the longest matching prefix wins) or `/` (the
   * default). Registering a URL again replaces its handler. With `workQueue`, calls run through
   * that queue: one at a time, in arrival order, an async handler holding it until it settles.
   */
  command(url: string, handler: CommandHandler, options: CommandOptions = {}): this {
    if (!isValidUrl(url)) throw new VsoaError('INVALID_ARGUMENT', `command URL must start with '/': ${JSON.stringify(url)}`);
    const queue = options.workQueue;
    this.router.set(url, { handler: queue ? queuedHandler(handler, queue) : handler, rawParam: options.rawParam === true });
    return this;
  }

  /** True when a command is registered under exactly this URL. */
  hasCommand(url: string): boolean {
    return this.router.find(url)?.pattern === url;
  }

  /**
   * Serves a synced resource at `url`: GET answers the state; SET applies it (through `set`, or
   * by merging an object param into the state object), answers the new state and publishes it
   * on `url` to subscribers. A SET without a param, or refused by `set`, changes nothing.
   */
  resource<T>(url: string, options: ResourceOptions<T>, commandOptions: CommandOptions = {}): this {
    return this.command(
      url,
      async (cli, req, payload) => {
        if (req.method === 'GET') {
          cli.reply(req.seqno, { param: options.get() });
          return;
        }
        if (payload.param === undefined) {
          cli.reply(req.seqno, { param: { error: 'SET needs a param' } }, { status: VsoaStatus.ARGUMENTS });
          return;
        }
        const status = options.set ? await options.set(payload.param, payload) : mergeInto(options.get(), payload.param);
        if (status) {
          cli.reply(req.seqno, undefined, { status });
          return;
        }
        const state = options.get();
        cli.reply(req.seqno, { param: state });
        this.publish(url, { param: state });
      },
      commandOptions,
    );
  }

  /** Removes a command; returns whether it existed. */
  removeCommand(url: string): boolean {
    return this.router.delete(url);
  }

  /**
   * Changes the password (the seed's `server.passwd(p)`); `''` or undefined removes it. Clients
   * already connected stay; every handshake from now on is checked against the new one.
   */
  setPasswd(passwd: string | undefined): void {
    if (passwd !== undefined && typeof passwd !== 'string') throw new VsoaError('INVALID_ARGUMENT', 'the password must be a string');
    this.options.passwd = passwd ?? '';
  }

  /**
   * Starts listening: TCP (or TLS) on `host:port` and UDP on the same port number. With port 0 a
   * free port is picked whose UDP twin is free too. Rejects when either cannot be bound.
   */
  async listen(options: ListenOptions = {}): Promise<void> {
    if (this.listener) throw new VsoaError('INVALID_ARGUMENT', 'server is already listening');
    const host = options.host ?? '0.0.0.0';
    const port = options.port ?? 0;
    this.tlsOptions = options.tls && withClientAuth(options.tls);
    for (let attempt = 1; ; attempt++) {
      const listener = this.createListener(this.tlsOptions);
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen({ host, port, backlog: options.backlog ?? 1024 }, () => {
          listener.off('error', reject);
          resolve();
        });
      });
      const address = listener.address() as AddressInfo;
      const quick = new QuickChannel(
        host,
        (packet, from) => this.onQuickDatagram(packet, from),
        (rinfo) => {
          this.counters.badDatagrams++;
          this.warn.warn(`bad UDP packet from ${rinfo.address}:${rinfo.port}`);
        },
        (error) => this.logger.debug(`UDP error: ${error.message}`),
      );
      try {
        await quick.bind(address.port, host);
      } catch (error) {
        await new Promise((resolve) => listener.close(resolve));
        if (port === 0 && attempt < PORT_PICK_ATTEMPTS) continue;
        throw error;
      }
      listener.on('error', (error) => this.logger.warn(`listener error: ${error.message}`));
      this.listener = listener;
      this.quick = quick;
      this.bound = address;
      this.closing = null;
      this.telemetry = new RpcTelemetry('server');
      this.metrics = ServerMetrics.observe({
        counters: this.counters,
        clients: () => this.connected.size,
        subscriptions: () => {
          let total = 0;
          for (const cli of this.connected.values()) total += cli.subscriptionCount;
          return total;
        },
        port: () => address.port,
      });
      return;
    }
  }

  /** The bound address (`{ address, port, family }`), or null before `listen()`. */
  address(): AddressInfo | null {
    return this.bound ? { ...this.bound } : null;
  }

  /** Connected clients. */
  clients(): RemoteClient[] {
    return [...this.connected.values()];
  }

  /** Number of connected clients. */
  get count(): number {
    return this.connected.size;
  }

  /** True when some authed client's subscriptions cover `url`. */
  isSubscribed(url: string): boolean {
    return this.subscribers.some(url, (cli) => cli.authed && !cli.closed);
  }

  /**
   * Publishes on `url` to every authed client whose subscriptions cover it, over TCP or (quick)
   * UDP. The packet is encoded once. Returns how many clients it was sent to.
   */
  publish(url: string, payload?: VsoaPayload, options: SendOptions = {}): number {
    if (!isValidUrl(url)) throw new VsoaError('INVALID_ARGUMENT', `invalid URL ${JSON.stringify(url)}`);
    const packet = encodePacket({
      type: PacketType.PUBLISH,
      url,
      param: encodeParam(payload?.param, this.options.raw),
      data: payload?.data,
    });
    const limit = options.quick ? MAX_QUICK_PACKET_LENGTH : MAX_PACKET_LENGTH;
    if (packet.length > limit) throw new VsoaError('TOO_LARGE', `publish of ${packet.length} bytes exceeds ${limit}`);
    if (options.quick && this.tlsOptions !== undefined && !this.options.allowQuickOverTls) {
      throw new VsoaError('QUICK_OVER_TLS', 'quick (UDP) sends are clear text; refused on a TLS server');
    }
    let sent = 0;
    // Only the clients whose subscriptions cover the URL are looked at, whoever else is connected.
    this.subscribers.forEach(url, (cli) => {
      if (cli.authed && (options.quick ? cli.sendQuickPacket(packet) : cli.sendPacket(packet))) sent++;
    });
    this.counters.publishes++;
    this.counters.publishDeliveries += sent;
    this.description?.published.add(url);
    return sent;
  }

  /**
   * Opens a stream: a tunnel listener on a fresh port, resolved once it listens. Send its `tunid`
   * in an RPC reply (`cli.reply(seqno, payload, { tunid: stream.tunid })`); the client connects
   * with `client.createStream(tunid)`. Pass `client` so only that client can take the tunnel. The
   * stream is a Duplex; it emits `'connect'`, or `'timeout'` when nobody came in time.
   */
  async createStream(options: CreateStreamOptions = {}): Promise<VsoaServerStream> {
    if (!this.bound) throw new VsoaError('NOT_LISTENING', 'createStream: the server is not listening');
    const { client, ...streamOptions } = options;
    const open = client ? (this.clientStreams.get(client) ?? 0) : 0;
    if (client && open >= this.options.maxStreamsPerClient) {
      this.counters.streamLimitHits++;
      throw new VsoaError(
        'LIMIT',
        `client ${client.id} has ${open} stream tunnels open or waiting (maxStreamsPerClient)`,
        VsoaStatus.NO_MEMORY,
      );
    }
    const stream = await VsoaServerStream.open(
      { ...streamOptions, timeout: streamOptions.timeout ?? DEFAULT_SERVER_STREAM_TIMEOUT },
      {
        host: client ? client.localAddress() : this.bound.address,
        allowFrom: client ? client.address().address : null,
        tls: this.tlsOptions,
        onRefused: (address) => {
          this.counters.streamsRefused++;
          this.warn.warn(`stream connection from ${address} refused`);
        },
      },
    );
    this.streams.add(stream);
    if (client) this.clientStreams.set(client, (this.clientStreams.get(client) ?? 0) + 1);
    stream.once('close', () => {
      this.streams.delete(stream);
      if (!client) return;
      const left = (this.clientStreams.get(client) ?? 1) - 1;
      if (left > 0) this.clientStreams.set(client, left);
      else this.clientStreams.delete(client);
    });
    return stream;
  }

  /**
   * Stops accepting, closes every connection, open stream and the UDP channel. Idempotent;
   * resolves when all is closed. With `drainTimeout` (ms) it is graceful: new connections and new
   * calls are refused (NO_RESPONDING) while the calls in flight get up to that long to be answered.
   */
  close(options: { drainTimeout?: number } = {}): Promise<void> {
    if (this.closing) return this.closing;
    const listener = this.listener;
    const quick = this.quick;
    this.listener = null;
    this.quick = null;
    this.bound = null;
    this.metrics?.stop();
    this.metrics = null;
    const listenerClosed = listener ? new Promise<void>((resolve) => listener.close(() => resolve())) : undefined;
    const graceful = (options.drainTimeout ?? 0) > 0;
    this.closing = this.drain(options.drainTimeout ?? 0).then(async () => {
      this.drainWaiter = null;
      // A graceful close lets the last replies leave before the connections end.
      for (const cli of this.sockets) {
        if (graceful) cli.end();
        else cli.close();
      }
      for (const stream of this.streams) stream.destroy();
      await Promise.all([listenerClosed, quick?.close()]);
    });
    return this.closing;
  }

  /** Answers GET at DESCRIBE_URL with the commands served and the URLs published on. */
  private describeItself(info: unknown): void {
    const description = { info, published: new PublishedUrls() };
    this.description = description;
    this.command(DESCRIBE_URL, (cli, req) => {
      const commands = this.router.patterns().filter((url) => url !== DESCRIBE_URL);
      cli.reply(req.seqno, { param: description.published.describe(description.info, commands) });
    });
  }

  /** Waits until no client has a call in flight, or `timeout` ms. */
  private drain(timeout: number): Promise<void> {
    if (timeout <= 0 || this.pendingCalls() === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn(`closing with ${this.pendingCalls()} call(s) still unanswered after ${timeout} ms`);
        resolve();
      }, timeout);
      this.drainWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private pendingCalls(): number {
    let count = 0;
    for (const cli of this.sockets) count += cli.pendingCalls;
    return count;
  }

  private checkDrained(): void {
    if (this.drainWaiter && this.pendingCalls() === 0) this.drainWaiter();
  }

  private createListener(tls: TlsOptions | undefined): NetServer {
    const onConnection = (socket: Socket): void => this.onConnection(socket);
    if (!tls) return createNetServer(onConnection);
    // The TLS handshake gets the VSOA handshake's time (Node's own default is 120 s), and a client
    // may not renegotiate: each one costs the server a handshake's CPU.
    const server = createTlsServer({ handshakeTimeout: this.options.handshakeTimeout, ...tls }, (socket: TLSSocket) => {
      socket.disableRenegotiation();
      onConnection(socket);
    });
    server.on('tlsClientError', (error, socket) => {
      this.counters.tlsHandshakeFailures++;
      this.warn.warn(`TLS handshake failed: ${error.message}`);
      // Node reports a handshake timeout here but leaves the connection open.
      socket.destroy();
    });
    return server;
  }

  private onConnection(socket: Socket): void {
    this.counters.connections++;
    let id: number;
    do id = randomInt(0, 0xffffffff);
    while (this.ids.has(id));
    this.ids.add(id);
    this.sockets.add(new RemoteClient(socket, this.host, id));
  }

  private onQuickDatagram(packet: VsoaPacket, from: string): void {
    const cli = this.connected.get(packet.seqno);
    if (!cli || cli.address().address !== from) {
      this.counters.spoofedDatagrams++;
      this.warn.warn(`quick datagram for client ${packet.seqno} from ${from} dropped`);
      return;
    }
    cli.deliverDatagram(packet, true);
  }
}

/**
 * A server given `ca` and no word on `requestCert` asks every client for a certificate signed by
 * it and refuses the rest: the seed's two-way authentication (its server `ca_cert`). Node alone
 * would let a client without a certificate in. `requestCert: false` keeps one-way TLS.
 */
function withClientAuth(tls: TlsOptions): TlsOptions {
  if (tls.ca === undefined || tls.requestCert !== undefined) return tls;
  return { ...tls, requestCert: true, rejectUnauthorized: tls.rejectUnauthorized ?? true };
}
