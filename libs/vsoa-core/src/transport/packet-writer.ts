import type { Socket } from 'node:net';

export interface PacketWriterOptions {
  /** Bytes that may wait in the socket's queue before the peer is dropped. */
  maxQueuedBytes: number;
  /** How long the queue may stay non-empty without draining before the peer is dropped (ms). */
  stallTimeout: number;
  /** Called once when the peer is dropped for being too slow. */
  onStall: (reason: string) => void;
}

/**
 * Writes packets to a socket, batching every packet of one event-loop turn into a single
 * `writev` (cork on the first write of a turn, uncork on the next tick). When the peer stops
 * reading, packets queue within a byte budget; past the budget, or when the queue does not drain
 * within the stall timeout, the peer is dropped so that it never stalls anyone else.
 */
export class PacketWriter {
  private corked = false;
  private stallTimer: NodeJS.Timeout | null = null;
  private dropped = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
    // What the kernel did not take now waits in memory: that is what the budget bounds. Checked
    // here rather than per write, so that one turn's burst to a fast reader is not mistaken for
    // a slow one.
    if (this.socket.writableLength > this.options.maxQueuedBytes) {
      this.drop(`send queue over ${this.options.maxQueuedBytes} bytes`);
    }
  };
  private readonly onDrain = (): void => {
    if (this.stallTimer) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  };

  constructor(
    private readonly socket: Socket,
    private options: PacketWriterOptions,
  ) {
    socket.on('drain', this.onDrain);
  }

  /** Changes the stall timeout (ms) for stalls that start from now on. */
  setStallTimeout(ms: number): void {
    this.options = { ...this.options, stallTimeout: ms };
  }

  /** Queues one encoded packet. Returns false when the socket is gone or the peer was dropped. */
  write(packet: Buffer): boolean {
    const socket = this.socket;
    if (this.dropped || socket.destroyed || !socket.writable) return false;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncork);
    }
    if (socket.write(packet)) return true;
    if (!this.stallTimer) {
      this.stallTimer = setTimeout(() => this.drop(`send queue not drained in ${this.options.stallTimeout} ms`), this.options.stallTimeout);
      this.stallTimer.unref();
    }
    return true;
  }

  /** Stops timers; call when the socket closes. */
  dispose(): void {
    this.onDrain();
    this.socket.off('drain', this.onDrain);
  }

  private drop(reason: string): void {
    if (this.dropped) return;
    this.dropped = true;
    this.dispose();
    this.options.onStall(reason);
  }
}
