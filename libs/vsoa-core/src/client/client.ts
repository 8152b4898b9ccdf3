import { EventEmitter } from 'node:events';
import type { PeerCertificate } from 'node:tls';
import { Flag, MAX_PACKET_LENGTH, MAX_QUICK_PACKET_LENGTH, PacketType, VsoaMethod } from '../protocol/constants';
import { toMethod } from '../protocol/method';
import { encodePacket, VsoaPacket } from '../protocol/packet';
import { BAD_PARAM, decodePayload, encodeParam, VsoaPayload } from '../protocol/payload';
import { isValidUrl, SubscriptionSet } from '../url';
import { VsoaError, VsoaStatusError } from '../errors';
import { defaultLogger, VsoaLogger } from '../logger';
import { VsoaClientStream } from '../stream/client-stream';
import type { StreamOptions } from '../stream/tunnel-stream';
import { Link } from './link';
import { Regulator } from './regulator';
import { PendingCalls } from './pending-calls';
import { Robot } from './robot';
import { parseVsoaUrl } from './vsoa-url';
import { resolveTargets } from './resolve-target';
import { RpcTelemetry } from '../telemetry/rpc-telemetry';
import type { ConnectOptions, FetchOptions, RobotOptions, VsoaClientEvents, VsoaClientOptions, VsoaReply } from './types';
import type { SendOptions } from '../server/types';

/**
 * A VSOA client: one connection to a server, RPC (`fetch`), subscriptions (`'message'`),
 * datagrams both ways, ping, and a `robot()` that keeps the link up.
 */
export class VsoaClient extends EventEmitter<VsoaClientEvents> {
  private readonly raw: boolean;
  private readonly timeout: number;
  private readonly allowQuickOverTls: boolean;
  private readonly logger: VsoaLogger;
  private link: Link | null = null;
  private connecting: Promise<unknown> | null = null;
  private pendingCalls = new PendingCalls();
  private readonly subscriptions = new SubscriptionSet();
  private robotLoop: Robot | null = null;
  private _priority = 0;
  private readonly regulator = new Regulator((url, payload, quick) => this.emit('message', url, payload, quick));
  /** Client spans and durations of RPCs, made at the first connect (after the app set up OpenTelemetry). */
  private telemetry: RpcTelemetry | null = null;

  constructor(options: VsoaClientOptions = {}) {
    super();
    this.raw = options.raw ?? false;
    this.timeout = options.timeout ?? 60_000;
    this.allowQuickOverTls = options.allowQuickOverTls ?? false;
    this.logger = options.logger ?? defaultLogger;
  }

  /** True while the handshake is done and the link is up. */
  get connected(): boolean {
    return this.link !== null && this.link.open;
  }

  /** Number of calls waiting for a reply. */
  get pending(): number {
    return this.pendingCalls.size;
  }

  /** Client id the server assigned in the handshake (0 when not connected). */
  get id(): number {
    return this.link?.id ?? 0;
  }

  /** Server info from the last handshake. */
  get info(): unknown {
    return this.link?.info;
  }

  /** QoS priority the server last set with QOSSETUP. */
  get priority(): number {
    return this._priority;
  }

  /**
   * Connects to `vsoa://host:port` (or `vsoa://name`, resolved by position lookup) and handshakes.
   * Resolves with the server info; rejects with a
   * VsoaConnectError whose `code` says why (CONNECT_ERROR, UNREACHABLE, SERVER_NOT_FOUND,
   * SERVER_NO_RESPONDING, INVALID_RESPONDING, INVALID_PASSWD, SSL_HS_FAILED).
   */
  async connect(url: string, options: ConnectOptions = {}): Promise<unknown> {
    if (this.connected || this.connecting) throw new VsoaError('INVALID_ARGUMENT', 'already connected or connecting');
    const promise = this.open(url, options);
    this.connecting = promise;
    try {
      return await promise;
    } finally {
      this.connecting = null;
    }
  }

  /** @internal Used by connect() and the robot. */
  async open(url: string, options: ConnectOptions): Promise<unknown> {
    this.telemetry ??= new RpcTelemetry('client');
    // A name may have several servers (DNS SRV records): the first that answers is the one.
    const targets = await resolveTargets(url, options);
    let failure: unknown;
    for (const { host, port } of targets) {
      try {
        return await this.openLink(host, port, options);
      } catch (error) {
        failure = error;
        if (targets.length > 1) this.logger.debug(`connect to ${host}:${port} (${url}) failed: ${(error as Error).message}`);
      }
    }
    throw failure;
  }

  private async openLink(host: string, port: number, options: ConnectOptions): Promise<unknown> {
    let link: Link | null = null;
    const pending = new PendingCalls();
    link = await Link.open(
      host,
      port,
      options,
      {
        onPacket: (packet) => this.onPacket(packet, pending),
        onQuickPacket: (packet) => this.onQuickPacket(packet),
        onClose: (error) => {
          if (link === null || this.link !== link) return;
          this.link = null;
          pending.rejectAll(new VsoaError('CLOSED', 'Connection closed'));
          this.emit('disconnect', error);
        },
      },
      this.logger,
    );
    // A connect() that finished while a stopped robot was still handshaking keeps its link.
    if (this.link?.open) {
      link.destroy();
      throw new VsoaError('INVALID_ARGUMENT', 'already connected');
    }
    this.link = link;
    this.pendingCalls = pending;
    this.emit('connect', link.info);
    return link.info;
  }

  /**
   * Calls the RPC command at `url`. Resolves with the reply whatever its status; rejects with a
   * VsoaError when the method is not GET or SET (INVALID_ARGUMENT), when not connected (NOT_CONNECTED), on timeout (TIMEOUT), when the link drops
   * (CLOSED) or when the request is too large (TOO_LARGE).
   */
  fetch(url: string, options: FetchOptions = {}): Promise<VsoaReply> {
    if (!isValidUrl(url)) return Promise.reject(new VsoaError('INVALID_ARGUMENT', `invalid URL ${JSON.stringify(url)}`));
    let method: VsoaMethod;
    try {
      method = toMethod(options.method);
    } catch (error) {
      return Promise.reject(error);
    }
    const payload = options.payload;
    const link = this.link;
    const source = this.telemetry;
    const telemetry = link && source?.enabled ? source.start(url, { 'server.address': link.host, 'server.port': link.port }) : null;
    const reply = this.call<VsoaReply>(
      {
        type: PacketType.RPC,
        flags: method === 'SET' ? Flag.SET : 0,
        url,
        param: encodeParam(payload?.param, this.raw),
        data: payload?.data,
      },
      options.timeout,
      `RPC ${url}`,
    );
    if (!telemetry) return reply;
    return reply.then(
      (value) => {
        telemetry.end(value.status);
        return value;
      },
      (error: unknown) => {
        telemetry.fail(error);
        throw error;
      },
    );
  }

  /**
   * Subscribes to one URL or several (one SUBSCRIBE each, which every server implementation
   * accepts); emits `'subscribed'` for each URL the server accepts. Rejects with a
   * VsoaStatusError when the server answers a non-zero status.
   */
  async subscribe(urls: string | string[], options: { timeout?: number } = {}): Promise<void> {
    const list = this.checkUrls(urls);
    const outcomes = await Promise.allSettled(
      list.map(async (url) => {
        // Recorded before the reply: a publish the server sends right behind it must not be filtered out.
        const known = this.subscriptions.has(url);
        this.subscriptions.add(url);
        try {
          const status = await this.call<number>({ type: PacketType.SUBSCRIBE, url }, options.timeout, `subscribe ${url}`);
          if (status !== 0) throw new VsoaStatusError(status, `subscribe ${url}`);
          this.emit('subscribed', url);
        } catch (error) {
          if (!known) this.subscriptions.delete(url);
          throw error;
        }
      }),
    );
    // Every URL is settled (kept or forgotten) before the first failure is reported.
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Unsubscribes from one URL or several. */
  async unsubscribe(urls: string | string[], options: { timeout?: number } = {}): Promise<void> {
    const list = this.checkUrls(urls);
    for (const url of list) this.subscriptions.delete(url);
    await Promise.all(
      list.map(async (url) => {
        const status = await this.call<number>({ type: PacketType.UNSUBSCRIBE, url }, options.timeout, `unsubscribe ${url}`);
        if (status !== 0) throw new VsoaStatusError(status, `unsubscribe ${url}`);
      }),
    );
  }

  /** The URLs this client is subscribed to (re-sent by the robot after each reconnect). */
  subscribed(): string[] {
    return this.subscriptions.values();
  }

  /**
   * Sends a datagram to the server, over TCP or (quick) UDP from the socket whose port the
   * handshake announced. Returns false when not connected.
   */
  datagram(url: string, payload?: VsoaPayload, options: SendOptions = {}): boolean {
    if (!isValidUrl(url)) throw new VsoaError('INVALID_ARGUMENT', `invalid URL ${JSON.stringify(url)}`);
    const link = this.link;
    if (!link || !link.open) return false;
    const quick = options.quick === true;
    if (quick && link.tls && !this.allowQuickOverTls) {
      throw new VsoaError('QUICK_OVER_TLS', 'quick (UDP) datagrams are clear text; refused on a TLS connection');
    }
    const packet = encodePacket({
      type: PacketType.DATAGRAM,
      seqno: quick ? link.id : 0,
      url,
      param: encodeParam(payload?.param, this.raw),
      data: payload?.data,
    });
    const limit = quick ? MAX_QUICK_PACKET_LENGTH : MAX_PACKET_LENGTH;
    if (packet.length > limit) throw new VsoaError('TOO_LARGE', `datagram of ${packet.length} bytes exceeds ${limit}`);
    if (!quick) return link.write(packet);
    link.writeQuick(packet);
    return true;
  }

  /** Pings the server; resolves with the round-trip time in ms. */
  async ping(timeout?: number): Promise<number> {
    const start = process.hrtime.bigint();
    await this.call<number>({ type: PacketType.PINGECHO }, timeout, 'ping');
    return Number(process.hrtime.bigint() - start) / 1e6;
  }

  /**
   * Keeps a link to `url` alive: connects, pings every `keepalive` ms, declares the link dead
   * after `pingLost` lost pings, reconnects after `reconnDelay` and re-subscribes. Watch
   * `'connect'` / `'disconnect'` / `'connectError'`. Stop it with `close()` or `disconnect()`.
   * Throws `VsoaError('INVALID_ARGUMENT')` for options the seed refuses too (see `checkRobotOptions`).
   */
  robot(url: string, options: RobotOptions = {}): this {
    if (this.robotLoop) throw new VsoaError('INVALID_ARGUMENT', 'robot already running');
    parseVsoaUrl(url);
    this.robotLoop = new Robot(this, url, options, this.logger);
    this.robotLoop.start();
    return this;
  }

  /**
   * Changes the running robot's turbo ping period (the seed's `robot_ping_turbo`): 0 turns it off,
   * otherwise from 25 ms up to the robot's `keepalive`. Throws `VsoaError('INVALID_ARGUMENT')` for
   * another value or when no robot runs (give `turbo` to `robot()` then).
   */
  robotPingTurbo(turbo: number): this {
    if (!this.robotLoop) throw new VsoaError('INVALID_ARGUMENT', 'robotPingTurbo: no robot runs; give turbo to robot()');
    this.robotLoop.setTurbo(turbo);
    return this;
  }

  /**
   * Connects to the stream tunnel `tunid` that an RPC reply announced (`reply.tunid`), at the
   * address this client reached the server at, over TLS when the link is TLS. Returns the Duplex
   * at once; it emits `'connect'` when the tunnel is up, `'timeout'` if it was not in time, and
   * `'error'` if the connection failed. The stream outlives the RPC link.
   */
  createStream(tunid: number, options: StreamOptions = {}): VsoaClientStream {
    const link = this.link;
    if (!link || !link.open) throw new VsoaError('NOT_CONNECTED', 'createStream: not connected');
    if (!Number.isInteger(tunid) || tunid <= 0 || tunid > 0xffff) {
      throw new VsoaError('INVALID_ARGUMENT', `createStream: tunid must be a port number, got ${tunid}`);
    }
    return new VsoaClientStream(link.remoteAddress, tunid, link.tlsOptions, options);
  }

  /**
   * Delivers publishes under `url` (exact, or a prefix ending in `/`) at most once per
   * `interval` ms per URL: the latest message of each interval, the others dropped. For
   * high-rate sources read at a lower rate. Undo with `unregulate(url)`.
   */
  regulate(url: string, interval: number): this {
    if (!isValidUrl(url)) throw new VsoaError('INVALID_ARGUMENT', `invalid URL ${JSON.stringify(url)}`);
    if (!Number.isFinite(interval) || interval <= 0) throw new VsoaError('INVALID_ARGUMENT', `interval must be > 0 ms, got ${interval}`);
    this.regulator.add(url, interval);
    return this;
  }

  /** Stops regulating `url`; returns whether it was regulated. */
  unregulate(url: string): boolean {
    return this.regulator.remove(url);
  }

  /** The server's TLS certificate, on a TLS link. */
  peerCertificate(): PeerCertificate | null {
    const cert = this.link?.tlsSocket?.getPeerCertificate();
    return cert && Object.keys(cert).length > 0 ? cert : null;
  }

  /**
   * Closes the link and stops the robot, keeping the client for a later `connect()` or `robot()`
   * (the seed's `disconnect()`): pending calls reject with CLOSED, `'disconnect'` is emitted, and
   * the subscriptions are forgotten, as the server forgets them.
   */
  disconnect(): void {
    this.robotLoop?.stop();
    this.robotLoop = null;
    this.link?.destroy();
    this.link = null;
    this.pendingCalls.rejectAll(new VsoaError('CLOSED', 'Connection closed'));
    this.subscriptions.clear();
  }

  /** Closes the link (and stops the robot) for good. Pending calls reject with CLOSED. */
  async close(): Promise<void> {
    this.regulator.clear();
    this.disconnect();
  }

  /** @internal Drops the current link (the robot uses it when pings are lost). */
  dropLink(error: Error): void {
    this.link?.destroy(error);
  }

  private checkUrls(urls: string | string[]): string[] {
    const list = Array.isArray(urls) ? urls : [urls];
    const bad = list.find((url) => !isValidUrl(url));
    if (bad !== undefined || list.length === 0) {
      throw new VsoaError('INVALID_ARGUMENT', `invalid URL ${JSON.stringify(bad)}`);
    }
    return list;
  }

  private call<T>(fields: Parameters<typeof encodePacket>[0], timeout: number | undefined, what: string): Promise<T> {
    const link = this.link;
    if (!link || !link.open) return Promise.reject(new VsoaError('NOT_CONNECTED', `${what}: not connected`));
    const { seqno, promise } = this.pendingCalls.add<T>(timeout ?? this.timeout, what);
    // `fields` is always a fresh object from the caller: give it the seqno rather than copy it.
    fields.seqno = seqno;
    const packet = encodePacket(fields);
    if (packet.length > MAX_PACKET_LENGTH) {
      this.pendingCalls.reject(seqno, new VsoaError('TOO_LARGE', `${what}: ${packet.length} bytes exceeds ${MAX_PACKET_LENGTH}`));
    } else if (!link.write(packet)) {
      this.pendingCalls.reject(seqno, new VsoaError('CLOSED', `${what}: connection closed`));
    }
    return promise;
  }

  private onPacket(packet: VsoaPacket, pending: PendingCalls): void {
    if (packet.flags & Flag.REPLY) {
      switch (packet.type) {
        case PacketType.RPC:
          this.onRpcReply(packet, pending);
          break;
        case PacketType.SUBSCRIBE:
        case PacketType.UNSUBSCRIBE:
        case PacketType.PINGECHO:
          pending.resolve(packet.seqno, packet.status);
          break;
        case PacketType.QOSSETUP:
          this._priority = packet.status;
          this.emit('priority', packet.status);
          break;
        default:
          break;
      }
      return;
    }
    if (packet.type === PacketType.PUBLISH || packet.type === PacketType.DATAGRAM) this.deliver(packet, false);
  }

  private onQuickPacket(packet: VsoaPacket): void {
    if (packet.flags & Flag.REPLY) return;
    if (packet.type === PacketType.PUBLISH || packet.type === PacketType.DATAGRAM) this.deliver(packet, true);
  }

  private onRpcReply(packet: VsoaPacket, pending: PendingCalls): void {
    const payload = decodePayload(packet.param, packet.data, this.raw);
    if (payload === BAD_PARAM) {
      pending.reject(packet.seqno, new VsoaError('INVALID_REPLY', `reply ${packet.seqno} carries a param that is not JSON`));
      return;
    }
    const reply: VsoaReply = {
      status: packet.status,
      seqno: packet.seqno,
      tunid: packet.flags & Flag.TUNNEL ? packet.tunid : 0,
      payload,
    };
    pending.resolve(packet.seqno, reply);
  }

  private deliver(packet: VsoaPacket, quick: boolean): void {
    const isPublish = packet.type === PacketType.PUBLISH;
    // The server filters publishes; filtering here too drops ones that raced an unsubscribe.
    if (isPublish && !this.subscriptions.matches(packet.url)) return;
    const payload = decodePayload(packet.param, packet.data, this.raw);
    if (payload === BAD_PARAM) {
      this.logger.debug(`dropped ${isPublish ? 'publish' : 'datagram'} on ${packet.url}: param is not JSON`);
      return;
    }
    if (isPublish && this.regulator.offer(packet.url, payload, quick)) return;
    this.emit(isPublish ? 'message' : 'datagram', packet.url, payload, quick);
  }
}
