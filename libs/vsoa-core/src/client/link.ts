import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, isIP, Socket } from 'node:net';
import { connect as tlsConnect, ConnectionOptions, TLSSocket } from 'node:tls';
import { Flag, MAX_QUICK_PACKET_LENGTH, PacketType, VsoaStatus } from '../protocol/constants';
import { encodePacket, VsoaPacket } from '../protocol/packet';
import { PacketParser, parseDatagram } from '../protocol/parser';
import { decodeParam, encodeParam, BAD_PARAM } from '../protocol/payload';
import { VsoaConnectError, VsoaError } from '../errors';
import { connectErrorCode } from './socket-error-kind';
import { PacketWriter } from '../transport/packet-writer';
import type { VsoaLogger } from '../logger';
import type { ConnectOptions } from './types';

/** Time allowed for TCP connect plus handshake (ms) unless told: the seed's `connect` 10 s. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;

export interface LinkHandlers {
  /** A packet over TCP after the handshake. */
  onPacket(packet: VsoaPacket): void;
  /** A packet over UDP from the server's quick port. */
  onQuickPacket(packet: VsoaPacket): void;
  /** The link is gone (called once). */
  onClose(error?: Error): void;
}

/** A client's queue budget before it gives up on a server that does not read. */
const CLIENT_MAX_QUEUED = 64 * 1024 * 1024;
const CLIENT_STALL_TIMEOUT = 30_000;

/** The server info from a handshake reply: parsed JSON, or the text when it is not JSON. */
function decodeInfo(param: Buffer): unknown {
  const info = decodeParam(param, false);
  return info === BAD_PARAM ? param.toString('utf8') : info;
}

/**
 * One established connection of a client: TCP (or TLS) socket, its UDP socket, and the
 * handshake result. `open()` resolves once the handshake reply has arrived; nothing but the
 * handshake is sent before that.
 */
export class Link {
  id = 0;
  info: unknown;
  /** Where quick packets go: the server's UDP port (the TCP port unless the handshake said otherwise). */
  quickPort = 0;
  /** The TLS options the link connected with (stream tunnels reuse them); undefined over plain TCP. */
  readonly tlsOptions: ConnectionOptions | undefined;
  private readonly socket: Socket;
  /** Created once TCP is up, in the family of the address the host name resolved to. */
  private udp: UdpSocket | null = null;
  private writer: PacketWriter | null = null;
  private closed = false;

  private constructor(
    readonly host: string,
    readonly port: number,
    options: ConnectOptions,
    private readonly handlers: LinkHandlers,
    private readonly logger: VsoaLogger,
  ) {
    this.tlsOptions = options.tls && {
      ...options.tls,
      servername: options.tls.servername ?? (isIP(host) ? undefined : host),
    };
    this.socket = this.tlsOptions ? tlsConnect({ ...this.tlsOptions, host, port }) : netConnect({ host, port });
    this.socket.setNoDelay(true);
  }

  /** Connects, handshakes and resolves with the established link; rejects with VsoaConnectError. */
  static open(host: string, port: number, options: ConnectOptions, handlers: LinkHandlers, logger: VsoaLogger): Promise<Link> {
    const link = new Link(host, port, options, handlers, logger);
    return link.handshake(options).then(() => link);
  }

  private handshake(options: ConnectOptions): Promise<void> {
    const socket = this.socket;
    const timeout = options.timeout ?? DEFAULT_CONNECT_TIMEOUT;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: VsoaConnectError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new VsoaConnectError('SERVER_NO_RESPONDING', `no handshake from ${this.host}:${this.port} in ${timeout} ms`)),
        timeout,
      );
      const parser = new PacketParser(
        (packet) => {
          if (!settled) {
            if (packet.type !== PacketType.SERVINFO || !(packet.flags & Flag.REPLY)) {
              fail(new VsoaConnectError('INVALID_RESPONDING', `unexpected packet type ${packet.type} before the handshake reply`));
              return;
            }
            if (packet.status === VsoaStatus.PASSWORD) {
              fail(new VsoaConnectError('INVALID_PASSWD', 'the server refused the password'));
              return;
            }
            if (packet.status !== 0 || packet.data.length < 4) {
              fail(new VsoaConnectError('INVALID_RESPONDING', `invalid handshake reply (status ${packet.status})`));
              return;
            }
            this.info = decodeInfo(packet.param);
            this.id = packet.data.readUInt32BE(0);
            this.quickPort = packet.data.length >= 6 ? packet.data.readUInt16BE(4) || this.port : this.port;
            settled = true;
            clearTimeout(timer);
            // A connected UDP socket only takes packets from the server's quick port, and
            // reports ICMP errors (handled by the 'error' listener) instead of losing them.
            // The link is ready once it is connected: quick sends need that.
            const udp = this.udp;
            if (!udp) return resolve();
            const ready = (): void => {
              udp.off('error', ready);
              resolve();
            };
            udp.once('error', ready);
            udp.connect(this.quickPort, socket.remoteAddress ?? this.host, ready);
            return;
          }
          this.handlers.onPacket(packet);
        },
        (error) => {
          if (!settled) fail(new VsoaConnectError('INVALID_RESPONDING', error.message));
          else {
            this.logger.warn(`closing: ${error.message}`);
            this.destroy(error);
          }
        },
      );
      socket.on('data', (chunk: Buffer) => parser.push(chunk));
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) {
          this.logger.debug(`client socket error: ${error.message}`);
          return;
        }
        fail(
          new VsoaConnectError(connectErrorCode(error, this.tls), `cannot connect to ${this.host}:${this.port}: ${error.message}`, {
            cause: error,
          }),
        );
      });
      socket.on('close', () => {
        if (!settled)
          fail(new VsoaConnectError('INVALID_RESPONDING', `${this.host}:${this.port} closed the connection during the handshake`));
        else this.destroy();
      });
      const sendHello = (): void => {
        if (settled) return;
        // The UDP socket talks to the address TCP resolved, so a host name costs no second lookup.
        const udp = createSocket(socket.remoteFamily === 'IPv6' ? 'udp6' : 'udp4');
        this.udp = udp;
        // A UDP error (e.g. ICMP port unreachable) must never become an unhandled 'error'.
        udp.on('error', (error) => this.logger.debug(`client UDP error: ${error.message}`));
        udp.on('message', (msg) => {
          if (!settled) return;
          const packet = parseDatagram(msg, MAX_QUICK_PACKET_LENGTH);
          if (packet) this.handlers.onQuickPacket(packet);
        });
        udp.bind(0, () => {
          if (settled || this.closed) return;
          this.writer = new PacketWriter(socket, {
            maxQueuedBytes: CLIENT_MAX_QUEUED,
            stallTimeout: CLIENT_STALL_TIMEOUT,
            onStall: (reason) => this.destroy(new VsoaError('CLOSED', `server not reading: ${reason}`)),
          });
          this.writer.write(
            encodePacket({
              type: PacketType.SERVINFO,
              flags: Flag.TUNNEL,
              tunid: udp.address().port,
              param: encodeParam(options.passwd ? { passwd: options.passwd } : {}, false),
            }),
          );
        });
      };
      if (this.tls) socket.once('secureConnect', sendHello);
      else socket.once('connect', sendHello);
    });
  }

  /** True while the TCP connection is open. */
  get open(): boolean {
    return !this.closed;
  }

  /** True when the link is TLS. */
  get tls(): boolean {
    return this.tlsOptions !== undefined;
  }

  /** The server address the connection reached (stream tunnels connect there). */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? this.host;
  }

  /** The TLS socket, when the link is TLS. */
  get tlsSocket(): TLSSocket | null {
    return this.tls ? (this.socket as TLSSocket) : null;
  }

  /** Sends an encoded packet over TCP; false when the link is gone. */
  write(packet: Buffer): boolean {
    return !this.closed && this.writer !== null && this.writer.write(packet);
  }

  /** Sends an encoded packet by UDP to the server's quick port. */
  writeQuick(packet: Buffer): void {
    if (this.closed) return;
    try {
      this.udp?.send(packet, (error) => {
        if (error) this.logger.debug(`quick send failed: ${error.message}`);
      });
    } catch (error) {
      this.logger.debug(`quick send failed: ${(error as Error).message}`);
    }
  }

  /** Closes both sockets; reports `onClose` once. */
  destroy(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.writer?.dispose();
    this.socket.destroy();
    try {
      this.udp?.close();
    } catch {
      // already closed
    }
    this.handlers.onClose(error);
  }
}
