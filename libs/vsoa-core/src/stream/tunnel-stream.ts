import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { VsoaError } from '../errors';
import { normalizeAddress, PeerAddress } from '../transport/address';
import { applyKeepAlive } from '../transport/keepalive';

/** Default time a client stream tries to reach its tunnel (ms): the seed's `client.create_stream` 10 s. */
export const DEFAULT_STREAM_TIMEOUT = 10_000;
/** Default time a server stream waits for its client (ms): the seed's `server.create_stream` 5 s. */
export const DEFAULT_SERVER_STREAM_TIMEOUT = 5_000;

export interface StreamOptions {
  /**
   * How long to wait for the tunnel connection (ms): default 5000 for a server stream, 10000 for a
   * client one, as in the seed. Then `'timeout'`, and the stream closes.
   */
  timeout?: number;
  /** Keep the writable side open after the peer ends (Node's Duplex option). Default false, like a socket. */
  allowHalfOpen?: boolean;
  /** Buffer size of each side before backpressure applies (bytes). Default 64 KiB. */
  highWaterMark?: number;
}

/** Tunnel sockets are half-open capable; the Duplex decides (its `allowHalfOpen`) when to end. */
export const TUNNEL_SOCKET_OPTIONS = { allowHalfOpen: true } as const;

/**
 * A VSOA stream: a Duplex over one raw TCP (or TLS) tunnel connection that is attached later.
 *
 * Until the tunnel connects, writes wait (the writer sees backpressure, nothing is dropped) and
 * reads wait. Received bytes are buffered up to `highWaterMark`, then the socket is paused, so a
 * slow or late reader loses nothing and memory stays bounded.
 *
 * Events besides Duplex's: `'connect'` (peer address) when the tunnel is up, `'timeout'` when it
 * did not come up in time (the stream then closes without an error).
 */
export class TunnelStream extends Duplex {
  private socket: Socket | null = null;
  private connectTimer: NodeJS.Timeout | null;
  /** A write that arrived before the tunnel; run once it is up. */
  private queuedWrite: (() => void) | null = null;
  /** An end() that arrived before the tunnel. */
  private queuedFinal: (() => void) | null = null;
  /** Callback of the last write, held until the socket drains. */
  private drainCallback: ((error?: Error | null) => void) | null = null;
  private readEnded = false;
  private _remote: PeerAddress | null = null;
  /** A setKeepAlive() made before the tunnel connected, applied when it does. */
  private keepAlive: boolean | number | null = null;
  /** True once connected over TLS. */
  encrypted = false;

  protected constructor(options: StreamOptions) {
    const highWaterMark = options.highWaterMark ?? 64 * 1024;
    super({ allowHalfOpen: options.allowHalfOpen ?? false, readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
    const timeout = options.timeout ?? DEFAULT_STREAM_TIMEOUT;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      this.emit('timeout');
      this.destroy();
    }, timeout);
  }

  /** True once the tunnel connection is up (and until the stream is destroyed). */
  get connected(): boolean {
    return this.socket !== null && !this.destroyed;
  }

  /** The peer's address once connected. */
  remoteAddress(): PeerAddress | null {
    return this._remote ? { ...this._remote } : null;
  }

  /**
   * TCP keepalive on the tunnel connection (the seed's `stream.keepalive(idle)`): `true`, `false`,
   * or the idle time in ms before the first probe (0 turns it off). Before the tunnel is up, it is
   * applied when it connects.
   */
  setKeepAlive(enable: boolean | number): this {
    if (typeof enable === 'number' && (!Number.isFinite(enable) || enable < 0)) {
      throw new VsoaError('INVALID_ARGUMENT', `keepalive must be a number of ms >= 0 or a boolean, got ${enable}`);
    }
    this.keepAlive = enable;
    if (this.socket) applyKeepAlive(this.socket, enable);
    return this;
  }

  /** Ends the stream: flushes what was written, then closes. */
  close(): void {
    this.end();
  }

  /** Takes the tunnel connection: from here on bytes flow both ways. */
  protected attach(socket: Socket): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.socket = socket;
    this.encrypted = (socket as Partial<TLSSocket>).encrypted === true;
    this._remote = {
      address: normalizeAddress(socket.remoteAddress ?? ''),
      port: socket.remotePort ?? 0,
      family: socket.remoteFamily ?? 'IPv4',
    };
    socket.setNoDelay(true);
    if (this.keepAlive !== null) applyKeepAlive(socket, this.keepAlive);
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.endReadable());
    socket.on('drain', () => this.releaseDrain());
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => {
      // A peer that vanished without FIN ends our readable side too; what was buffered stays readable.
      this.endReadable();
      this.releaseDrain(new VsoaError('CLOSED', 'stream tunnel closed'));
    });
    const write = this.queuedWrite;
    const final = this.queuedFinal;
    this.queuedWrite = null;
    this.queuedFinal = null;
    this.emit('connect', this.remoteAddress());
    write?.();
    final?.();
  }

  override _read(): void {
    this.socket?.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const socket = this.socket;
    if (!socket) {
      this.queuedWrite = () => this._write(chunk, encoding, callback);
      return;
    }
    if (socket.destroyed || !socket.writable) {
      callback(new VsoaError('CLOSED', 'stream tunnel closed'));
      return;
    }
    // Hold the callback while the socket is over its buffer: that is the writer's backpressure.
    if (socket.write(chunk)) callback();
    else this.drainCallback = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    const socket = this.socket;
    if (!socket) {
      this.queuedFinal = () => this._final(callback);
      return;
    }
    // end() calls back once flushed, or at once (with an error we don't need) if already closed.
    socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.socket?.destroy();
    this.releaseDrain(error ?? new VsoaError('CLOSED', 'stream destroyed'));
    this.onDestroy();
    callback(error);
  }

  /** Subclasses release what they hold (a listener, a pending connect). */
  protected onDestroy(): void {}

  private endReadable(): void {
    if (this.readEnded) return;
    this.readEnded = true;
    this.push(null);
    // With nothing left unread, emit 'end' now even if nobody reads (as a socket does), so a
    // stream used only for writing still closes when the peer ends. Buffered bytes stay readable.
    this.read(0);
  }

  private releaseDrain(error?: Error): void {
    const callback = this.drainCallback;
    this.drainCallback = null;
    callback?.(error);
  }
}
