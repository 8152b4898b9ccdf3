import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { applyKeepAlive } from '../transport/keepalive';
import { Flag, MAX_PACKET_LENGTH, MAX_QUICK_PACKET_LENGTH, PacketType, VsoaStatus } from '../protocol/constants';
import { encodePacket, PacketFields, VsoaPacket } from '../protocol/packet';
import { PacketParser } from '../protocol/parser';
import { BAD_PARAM, decodeParam, decodePayload, encodeParam, VsoaPayload } from '../protocol/payload';
import { isValidUrl, SubscriptionSet } from '../url';
import type { WorkJob, WorkQueue } from '../work-queue';
import type { CallTelemetry } from '../telemetry/call-telemetry';
import { VsoaError, VsoaProtocolError } from '../errors';
import { PacketWriter } from '../transport/packet-writer';
import { normalizeAddress, PeerAddress } from '../transport/address';
import type { ClientHost } from './client-host';
import type { ReplyOptions, SendOptions } from './types';

/** Statuses a handler's error may put on the wire; anything else becomes NO_RESPONDING. */
function errorStatus(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && Number.isInteger(status) && ((status >= 2 && status <= 6) || (status >= 128 && status <= 255))) {
    return status;
  }
  return VsoaStatus.NO_RESPONDING;
}

/** A payload as it came: the param's bytes (a Buffer), not decoded (for commands that forward it). */
function rawPayload(packet: VsoaPacket): VsoaPayload {
  const payload: VsoaPayload = {};
  if (packet.param.length > 0) payload.param = packet.param;
  if (packet.data.length > 0) payload.data = packet.data;
  return payload;
}

export interface RemoteClientEvents {
  subscribe: [urls: string[]];
  unsubscribe: [urls: string[] | null];
  close: [];
}

/** Bytes one client may have parsed in one event-loop turn before the others get theirs. */
const READ_BUDGET = 64 * 1024;

/**
 * One connected client, as the server sees it. Created for every accepted connection; it becomes
 * a client (with an id, in `server.clients()`) once its handshake succeeds.
 */
export class RemoteClient extends EventEmitter<RemoteClientEvents> {
  /** Client id sent in the handshake; also the seqno of its quick datagrams. */
  readonly id: number;
  /**
   * Whether the client receives publishes. True after the handshake; set it to false (e.g. in the
   * server's `'client'` listener) to hold publishes back while keeping its subscriptions.
   */
  authed = false;
  /** The client's UDP port for quick packets (from the handshake), or 0 when it announced none. */
  quickPort = 0;
  private handshaken = false;
  /** Set once the connection is being closed for a refused handshake: ignore what follows. */
  private refused = false;
  private _priority = 0;
  private _closed = false;
  private readonly subscriptions = new SubscriptionSet();
  /** Seqnos of RPCs handed to a handler and not replied yet. */
  private readonly inFlight = new Set<number>();
  /** The measurement of each call in flight, when OpenTelemetry records. */
  private readonly measured = new Map<number, CallTelemetry>();
  /** True while reading is paused for having `maxCallsInFlight` calls waiting. */
  private throttled = false;
  /** Packets that arrived in the same read as the call that paused reading. */
  private backlog: VsoaPacket[] = [];
  private resumeScheduled = false;
  /** Bytes read in this event-loop turn; past READ_BUDGET the client waits for the next turn. */
  private readThisTurn = 0;
  private yielding = false;
  /** Work-queue jobs of this client's calls that have not started, by queue. */
  private readonly queuedJobs = new Map<WorkQueue, Set<WorkJob>>();
  private readonly parser: PacketParser;
  private readonly writer: PacketWriter;
  private handshakeTimer: NodeJS.Timeout | null;
  private readonly peer: PeerAddress;
  private readonly certificate: PeerCertificate | null;

  /** @internal Created by VsoaServer for each accepted connection. */
  constructor(
    private readonly socket: Socket,
    private readonly host: ClientHost,
    id: number,
  ) {
    super();
    this.id = id;
    this.peer = {
      address: normalizeAddress(socket.remoteAddress ?? ''),
      port: socket.remotePort ?? 0,
      family: socket.remoteFamily ?? 'IPv4',
    };
    socket.setNoDelay(true);
    // A TLS connection reaches us after its handshake, so the certificate is known now.
    const cert = (socket as Partial<TLSSocket>).getPeerCertificate?.call(socket);
    this.certificate = cert && Object.keys(cert).length > 0 ? cert : null;
    this.parser = new PacketParser(
      (packet) => this.onPacket(packet),
      (error) => this.onProtocolError(error),
    );
    this.writer = new PacketWriter(socket, {
      maxQueuedBytes: host.options.maxQueuedBytes,
      stallTimeout: host.options.sendTimeout,
      onStall: (reason) => {
        host.counters.slowClientsDropped++;
        host.warn.warn(`client ${this.id} (${this.peer.address}) dropped: ${reason}`);
        socket.destroy();
      },
    });
    this.handshakeTimer = setTimeout(() => {
      host.counters.handshakeTimeouts++;
      host.warn.warn(`connection from ${this.peer.address} closed: no handshake in ${host.options.handshakeTimeout} ms`);
      socket.destroy();
    }, host.options.handshakeTimeout);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => {
      // A socket that errs is done for; TLS renegotiation (refused) surfaces here too.
      if (/renegotiat/i.test(error.message)) {
        host.counters.tlsHandshakeFailures++;
        host.warn.warn(`client ${this.id} (${this.peer.address}) closed: TLS renegotiation is refused`);
      } else {
        host.logger.debug(`client ${this.id} socket error: ${error.message}`);
      }
      socket.destroy();
    });
    socket.on('close', () => this.onClose());
  }

  /** True once the connection is gone. */
  get closed(): boolean {
    return this._closed;
  }

  /** True once the handshake succeeded (the client is in `server.clients()`). */
  get connected(): boolean {
    return this.handshaken && !this._closed;
  }

  /** QoS priority 0-7. Setting it sends QOSSETUP to the client. */
  get priority(): number {
    return this._priority;
  }

  set priority(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 7) {
      throw new VsoaError('INVALID_ARGUMENT', `priority must be an integer 0-7, got ${value}`);
    }
    this._priority = value;
    this.send({ type: PacketType.QOSSETUP, flags: Flag.REPLY, status: value });
  }

  /** The client's TCP address. */
  address(): PeerAddress {
    return { ...this.peer };
  }

  /** Calls handed to a handler and not answered yet. */
  get pendingCalls(): number {
    return this.inFlight.size;
  }

  /** @internal Our address on this connection: the one the client reached us at. */
  localAddress(): string {
    return normalizeAddress(this.socket.localAddress ?? '');
  }

  /** True when a publish on `url` would reach this client's subscriptions. */
  isSubscribed(url: string): boolean {
    return this.subscriptions.matches(url);
  }

  /** How many subscriptions the client holds. */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** The URLs this client subscribed to. */
  subscribed(): string[] {
    return this.subscriptions.values();
  }

  /**
   * Answers the RPC with `seqno`. Throws a VsoaError (`TOO_LARGE`) when the reply exceeds the
   * 256 KiB packet cap. Returns false when the client is gone.
   */
  reply(seqno: number, payload?: VsoaPayload, options: ReplyOptions = {}): boolean {
    const status = options.status ?? 0;
    if (!Number.isInteger(status) || status < 0 || status > 255) {
      throw new VsoaError('INVALID_ARGUMENT', `status must be an integer 0-255, got ${status}`);
    }
    // Encode first: if the payload cannot be sent, the call is still open for an error reply.
    const packet = encodePacket({
      type: PacketType.RPC,
      flags: options.tunid ? Flag.REPLY | Flag.TUNNEL : Flag.REPLY,
      status,
      seqno,
      tunid: options.tunid ?? 0,
      param: encodeParam(payload?.param, this.host.options.raw),
      data: payload?.data,
    });
    const sent = this.sendPacket(packet);
    const telemetry = this.measured.size > 0 ? this.measured.get(seqno) : undefined;
    if (telemetry) {
      this.measured.delete(seqno);
      telemetry.end(status);
    }
    if (this.inFlight.delete(seqno)) {
      if (this.throttled && this.inFlight.size < this.host.options.maxCallsInFlight) this.scheduleResume();
      if (this.inFlight.size === 0) this.host.callsSettled(this);
    }
    return sent;
  }

  /** Sends a datagram to this client, over TCP or (quick) UDP. */
  datagram(url: string, payload?: VsoaPayload, options: SendOptions = {}): boolean {
    if (!isValidUrl(url)) throw new VsoaError('INVALID_ARGUMENT', `invalid URL ${JSON.stringify(url)}`);
    const packet = encodePacket({
      type: PacketType.DATAGRAM,
      url,
      param: encodeParam(payload?.param, this.host.options.raw),
      data: payload?.data,
    });
    const sent = options.quick ? this.sendQuickPacket(packet) : this.sendPacket(packet);
    if (sent) this.host.counters.datagramsSent++;
    return sent;
  }

  /** Enables TCP keepalive on the connection (`initialDelay` in ms). */
  setKeepAlive(enable: boolean | number): void {
    applyKeepAlive(this.socket, enable);
  }

  /** Changes how long this client's send queue may stay undrained before it is dropped (ms). */
  setSendTimeout(ms: number): void {
    this.writer.setStallTimeout(ms);
  }

  /**
   * The client's TLS certificate, when the server serves TLS and the client presented one. Kept
   * from the handshake, so it is still there in a disconnect handler.
   */
  peerCertificate(): PeerCertificate | null {
    return this.certificate;
  }

  /** Closes the connection at once. */
  close(): void {
    this.socket.destroy();
  }

  /** @internal Flushes what is queued, then closes; gives up waiting after a second. */
  end(): void {
    this.writer.flushNow();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** @internal Sends an already encoded packet over TCP. */
  sendPacket(packet: Buffer): boolean {
    if (packet.length > MAX_PACKET_LENGTH) {
      throw new VsoaError('TOO_LARGE', `packet of ${packet.length} bytes exceeds ${MAX_PACKET_LENGTH}`);
    }
    return this.writer.write(packet);
  }

  /** @internal Sends an already encoded packet over UDP to the client's quick port. */
  sendQuickPacket(packet: Buffer): boolean {
    if (this.host.tls && !this.host.options.allowQuickOverTls) {
      throw new VsoaError('QUICK_OVER_TLS', 'quick (UDP) sends are clear text; refused on a TLS server');
    }
    if (packet.length > MAX_QUICK_PACKET_LENGTH) {
      throw new VsoaError('TOO_LARGE', `quick packet of ${packet.length} bytes exceeds ${MAX_QUICK_PACKET_LENGTH}`);
    }
    if (this._closed) return false;
    // A client that announced no UDP port still gets the packet, reliably.
    if (this.quickPort === 0) return this.writer.write(packet);
    this.host.sendQuick(packet, this.quickPort, this.peer.address);
    return true;
  }

  private send(fields: PacketFields): boolean {
    return this.sendPacket(encodePacket(fields));
  }

  private onPacket(packet: VsoaPacket): void {
    if (this.refused) return;
    // Reading is paused, but the rest of the chunk already read waits here, in order.
    if (this.throttled) {
      this.backlog.push(packet);
      return;
    }
    if (!this.handshaken) {
      this.onHandshake(packet);
      return;
    }
    if (packet.flags & Flag.REPLY) return; // a server takes no replies
    switch (packet.type) {
      case PacketType.RPC:
        this.onRpc(packet);
        break;
      case PacketType.SUBSCRIBE:
      case PacketType.UNSUBSCRIBE:
        this.onSubscription(packet);
        break;
      case PacketType.DATAGRAM:
        this.onDatagram(packet);
        break;
      case PacketType.PINGECHO:
        this.send({ type: PacketType.PINGECHO, flags: Flag.REPLY, seqno: packet.seqno });
        break;
      case PacketType.SERVINFO:
        this.onHandshake(packet);
        break;
      default:
        break; // NOOP, QOSSETUP and unknown types are ignored
    }
  }

  private onHandshake(packet: VsoaPacket): void {
    const host = this.host;
    const refuse = (why: string): void => {
      host.warn.warn(`connection from ${this.peer.address} refused: ${why}`);
      this.send({ type: packet.type, flags: Flag.REPLY, status: VsoaStatus.PASSWORD, seqno: packet.seqno });
      this.refused = true;
      this.end();
    };
    if (packet.type !== PacketType.SERVINFO || packet.flags & Flag.REPLY) {
      host.counters.protocolErrors++;
      host.counters.closedForProtocol++;
      refuse('first packet is not a handshake');
      return;
    }
    if (host.options.passwd) {
      const param = decodeParam(packet.param, false) as { passwd?: unknown } | undefined;
      const passwd = param !== null && typeof param === 'object' ? param.passwd : undefined;
      if (!passwordMatches(passwd, host.options.passwd)) {
        host.counters.passwordRefused++;
        refuse('wrong password');
        return;
      }
    }
    const first = !this.handshaken;
    if (first) {
      this.handshaken = true;
      this.authed = true;
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
      this.quickPort = packet.flags & Flag.TUNNEL ? packet.tunid : 0;
    }
    const id = Buffer.allocUnsafe(4);
    id.writeUInt32BE(this.id, 0);
    this.send({
      type: PacketType.SERVINFO,
      flags: Flag.REPLY,
      seqno: packet.seqno,
      param: host.infoBytes,
      data: id,
    });
    if (first) host.clientConnected(this);
  }

  private onRpc(packet: VsoaPacket): void {
    const { seqno, url } = packet;
    // Every call is measured, the ones answered here (bad or unknown URL) included.
    const source = this.host.telemetry;
    const telemetry = source?.enabled
      ? source.start(url, {}, { 'network.peer.address': this.peer.address, 'network.peer.port': this.peer.port })
      : null;
    const fail = (status: number): void => {
      this.send({ type: PacketType.RPC, flags: Flag.REPLY, status, seqno });
      telemetry?.end(status);
    };
    if (!isValidUrl(url)) return fail(VsoaStatus.ARGUMENTS);
    // A server that is shutting down finishes the calls it has, and takes no new ones.
    if (this.host.draining) return fail(VsoaStatus.NO_RESPONDING);
    const route = this.host.route(url);
    if (!route) return fail(VsoaStatus.INVALID_URL);
    const payload = route.rawParam ? rawPayload(packet) : decodePayload(packet.param, packet.data, this.host.options.raw);
    if (payload === BAD_PARAM) {
      this.host.counters.badParams++;
      return fail(VsoaStatus.ARGUMENTS);
    }
    const request = {
      url,
      pattern: route.pattern,
      seqno,
      method: packet.flags & Flag.SET ? ('SET' as const) : ('GET' as const),
      tunid: packet.flags & Flag.TUNNEL ? packet.tunid : 0,
    };
    this.inFlight.add(seqno);
    if (telemetry) this.measured.set(seqno, telemetry);
    // Too many calls waiting: read no more from this client until some are answered.
    if (!this.throttled && this.inFlight.size >= this.host.options.maxCallsInFlight) this.pauseReading();
    try {
      // The call's span is the active one while the handler runs: spans it makes are its children.
      const result = telemetry ? telemetry.run(() => route.handler(this, request, payload)) : route.handler(this, request, payload);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (error: unknown) => this.onHandlerError(seqno, url, error));
      }
    } catch (error) {
      this.onHandlerError(seqno, url, error);
    }
  }

  private onHandlerError(seqno: number, url: string, error: unknown): void {
    this.host.logger.warn(`command ${url} failed: ${(error as Error)?.message ?? String(error)}`);
    if (!this.inFlight.has(seqno) || this._closed) return;
    const status = errorStatus(error);
    const message = status === VsoaStatus.NO_RESPONDING ? undefined : (error as Error)?.message;
    this.reply(seqno, message === undefined ? undefined : { param: { error: message } }, { status });
  }

  private onSubscription(packet: VsoaPacket): void {
    const subscribe = packet.type === PacketType.SUBSCRIBE;
    const urls = this.subscriptionUrls(packet);
    const reply = (status: number): void => {
      this.send({ type: packet.type, flags: Flag.REPLY, status, seqno: packet.seqno });
    };
    if (urls === undefined) return reply(VsoaStatus.ARGUMENTS);
    if (urls === null) {
      this.unsubscribeAll();
    } else if (subscribe) {
      // One URL (every client but a list subscriber sends one) costs no set of its own.
      const added =
        urls.length === 1
          ? this.subscriptions.has(urls[0])
            ? []
            : urls
          : [...new Set(urls)].filter((url) => !this.subscriptions.has(url));
      if (this.subscriptions.size + added.length > this.host.options.maxSubscriptions) {
        this.host.counters.subscriptionsRefused++;
        this.host.warn.warn(
          `client ${this.id} refused ${added.length} more subscription(s): it holds ${this.subscriptions.size} (maxSubscriptions)`,
        );
        return reply(VsoaStatus.NO_MEMORY);
      }
      for (const url of added) {
        this.subscriptions.add(url);
        this.host.subscriptionAdded(this, url);
      }
    } else {
      for (const url of urls) {
        if (!this.subscriptions.has(url)) continue;
        this.subscriptions.delete(url);
        this.host.subscriptionRemoved(this, url);
      }
    }
    reply(VsoaStatus.SUCCESS);
    if (subscribe) this.emit('subscribe', urls as string[]);
    else this.emit('unsubscribe', urls);
  }

  /** URLs of a (un)subscribe: a list, null for "all" (unsubscribe only), undefined when invalid. */
  private subscriptionUrls(packet: VsoaPacket): string[] | null | undefined {
    if (packet.url.length > 0) return isValidUrl(packet.url) ? [packet.url] : undefined;
    if (packet.param.length === 0) return packet.type === PacketType.UNSUBSCRIBE ? null : undefined;
    const list = decodeParam(packet.param, false);
    if (!Array.isArray(list) || list.length === 0 || !list.every(isValidUrl)) return undefined;
    return list as string[];
  }

  /** @internal A call of this client waits on `queue` as `job`. */
  jobQueued(queue: WorkQueue, job: WorkJob): void {
    let jobs = this.queuedJobs.get(queue);
    if (!jobs) this.queuedJobs.set(queue, (jobs = new Set()));
    jobs.add(job);
  }

  /** @internal The job's turn came: it runs (and answers) whatever happens to the client now. */
  jobStarted(queue: WorkQueue, job: WorkJob): void {
    const jobs = this.queuedJobs.get(queue);
    if (jobs?.delete(job) && jobs.size === 0) this.queuedJobs.delete(queue);
  }

  /** Takes this client's jobs that have not started off their queues: nobody could get their replies. */
  private dropQueuedJobs(): void {
    for (const [queue, jobs] of this.queuedJobs) this.host.counters.jobsDropped += queue.removeAll(jobs);
    this.queuedJobs.clear();
  }

  private unsubscribeAll(): void {
    for (const url of this.subscriptions.values()) this.host.subscriptionRemoved(this, url);
    this.subscriptions.clear();
  }

  /**
   * Parses what arrived. Node may hand over many reads of one socket in a single turn (libuv reads
   * up to 32 times per poll): a client that floods would hold the loop that long. Past
   * READ_BUDGET bytes in a turn it waits for the next one, so every other client is served between.
   */
  private onData(chunk: Buffer): void {
    this.parser.push(chunk);
    this.readThisTurn += chunk.length;
    if (this.readThisTurn < READ_BUDGET || this.yielding) return;
    this.yielding = true;
    this.socket.pause();
    setImmediate(() => {
      this.yielding = false;
      this.readThisTurn = 0;
      if (!this.throttled && !this._closed) this.socket.resume();
    });
  }

  private pauseReading(): void {
    this.throttled = true;
    this.host.counters.callsThrottled++;
    this.socket.pause();
  }

  /** Resumes on a later turn, never inside the handler whose reply made room. */
  private scheduleResume(): void {
    if (this.resumeScheduled) return;
    this.resumeScheduled = true;
    setImmediate(() => {
      this.resumeScheduled = false;
      if (this.throttled && !this._closed && this.inFlight.size < this.host.options.maxCallsInFlight) this.resumeReading();
    });
  }

  private resumeReading(): void {
    this.throttled = false;
    const waiting = this.backlog;
    this.backlog = [];
    for (let i = 0; i < waiting.length; i++) {
      this.onPacket(waiting[i]);
      if (this.throttled) {
        // Full again: the rest keeps its place at the head of the backlog.
        this.backlog = waiting.slice(i + 1).concat(this.backlog);
        return;
      }
    }
    if (!this._closed && !this.yielding) this.socket.resume();
  }

  private onDatagram(packet: VsoaPacket): void {
    this.deliverDatagram(packet, false);
  }

  /** @internal Hands a datagram (TCP or quick) to the server's listeners. */
  deliverDatagram(packet: VsoaPacket, quick: boolean): void {
    if (!isValidUrl(packet.url)) return;
    const payload = decodePayload(packet.param, packet.data, this.host.options.raw);
    if (payload === BAD_PARAM) {
      this.host.counters.badParams++;
      return;
    }
    this.host.counters.datagramsReceived++;
    this.host.emitDatagram(this, packet.url, payload, quick);
  }

  private onProtocolError(error: VsoaProtocolError): void {
    this.host.counters.protocolErrors++;
    this.host.counters.closedForProtocol++;
    this.host.warn.warn(`connection from ${this.peer.address} closed: ${error.message}`);
    this.socket.destroy();
  }

  private onClose(): void {
    if (this._closed) return;
    this._closed = true;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.writer.dispose();
    const hadCalls = this.inFlight.size > 0;
    this.inFlight.clear();
    for (const telemetry of this.measured.values()) telemetry.fail(new VsoaError('CLOSED', 'the client left before the reply'));
    this.measured.clear();
    this.backlog = [];
    this.unsubscribeAll();
    this.dropQueuedJobs();
    if (hadCalls) this.host.callsSettled(this);
    this.host.clientClosed(this, this.handshaken);
    this.emit('close');
  }
}

/**
 * Compares a presented password with the server's in constant time (digests of equal length), so
 * that response timing tells nothing about how much of a guess was right.
 */
function passwordMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
