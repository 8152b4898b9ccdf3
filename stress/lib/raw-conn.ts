/** A raw TCP connection to a server under test, for cases that need exact control of the bytes. */
import { once } from 'node:events';
import { connect, Socket } from 'node:net';
import { PacketParser, PacketType } from '@vsoa/core';
import type { VsoaPacket } from '@vsoa/core';
import { handshakePacket } from './wire';
import { within } from './time';

export interface RawConnOptions {
  host?: string;
  /** Parse what the server sends (else only count the bytes). Default true. */
  parse?: boolean;
}

export class RawConn {
  /** Bytes received from the server. */
  bytesIn = 0;
  /** `performance.now()` when the connection closed, or 0 while open. */
  closedAt = 0;
  /** Set when this side ended or destroyed the connection (else the server closed it). */
  closedHere = false;
  /** Called for each PUBLISH (which is not queued for `next()`). */
  onPublish: ((packet: VsoaPacket) => void) | null = null;
  /** Called for each reply, instead of queueing it for `next()` (a case that pipelines many). */
  onReply: ((packet: VsoaPacket) => void) | null = null;
  readonly whenClosed: Promise<void>;
  private readonly queue: VsoaPacket[] = [];
  private wake: (() => void) | null = null;

  private constructor(
    readonly socket: Socket,
    parse: boolean,
  ) {
    const parser = parse
      ? new PacketParser(
          (packet) => this.onPacket(packet),
          () => socket.destroy(),
        )
      : null;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      parser?.push(chunk);
    });
    socket.on('error', () => undefined); // resets are what some cases expect
    this.whenClosed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = performance.now();
        this.notify();
        resolve();
      }),
    );
  }

  static async open(port: number, options: RawConnOptions = {}): Promise<RawConn> {
    const socket = connect({ host: options.host ?? '127.0.0.1', port });
    const conn = new RawConn(socket, options.parse ?? true);
    await within(
      Promise.race([once(socket, 'connect'), once(socket, 'error').then(([error]) => Promise.reject(error))]),
      10_000,
      'TCP connect',
    );
    return conn;
  }

  get closed(): boolean {
    return this.closedAt > 0;
  }

  /** Writes unless closed; resolves once the socket can take more (backpressure) or is closed. Never rejects. */
  async write(bytes: Buffer): Promise<void> {
    const socket = this.socket;
    if (this.closed || !socket.writable || bytes.length === 0) return;
    if (socket.write(bytes)) return;
    await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), this.whenClosed]);
  }

  /** Sends the handshake and returns the server's reply. */
  async handshake(passwd: string, ms = 5000): Promise<VsoaPacket> {
    await this.write(handshakePacket(passwd));
    return this.next(ms, 'handshake reply');
  }

  /** The next packet other than PUBLISH; rejects when the connection closes first or after `ms`. */
  async next(ms: number, what: string): Promise<VsoaPacket> {
    const deadline = Date.now() + ms;
    for (;;) {
      const packet = this.queue.shift();
      if (packet) return packet;
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      await within(new Promise<void>((resolve) => (this.wake = resolve)), Math.max(1, deadline - Date.now()), what);
    }
  }

  /** Half-closes this side (the server then closes too). */
  end(): void {
    if (!this.closed) this.closedHere = true;
    this.socket.end();
  }

  destroy(): void {
    if (!this.closed) this.closedHere = true;
    this.socket.destroy();
  }

  private onPacket(packet: VsoaPacket): void {
    if (packet.type === PacketType.PUBLISH && this.onPublish) {
      this.onPublish(packet);
      return;
    }
    if (packet.type !== PacketType.PUBLISH && this.onReply) {
      this.onReply(packet);
      return;
    }
    // Copy: parsed packets are views into the received chunk.
    this.queue.push({ ...packet, param: Buffer.from(packet.param), data: Buffer.from(packet.data) });
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
