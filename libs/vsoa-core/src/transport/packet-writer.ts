import type { Socket } from 'node:net';

export interface PacketWriterOptions {
  /** Bytes that may wait in the socket's queue before the peer is dropped. */
  maxQueuedBytes: number;
  /** How long the queue may stay non-empty without draining before the peer is dropped (ms). */
  stallTimeout: number;
  /** Called once when the peer is dropped for being too slow. */
  onStall: (reason: string) => void;
}

/** Batches up to this many bytes are copied into one buffer; larger ones are written as a writev. */
const COALESCE_LIMIT = 64 * 1024;
/** Packets this big are written at once instead of waiting for the end of the turn. */
const DIRECT_WRITE = 16 * 1024;
/** A batch is sent once it holds this many packets, without waiting for the end of the turn. */
const BATCH_PACKETS = 32;

/**
 * Writes packets to a socket, batching the packets of one event-loop turn into a single write on
 * the next tick. When the peer stops reading, packets queue within a byte budget; past the budget, or when the queue does not drain
 * within the stall timeout, the peer is dropped so that it never stalls anyone else.
 */
export class PacketWriter {
  /** Packets of this event-loop turn, sent together on the next tick. */
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private stallTimer: NodeJS.Timeout | null = null;
  private dropped = false;
  private readonly flush = (): void => {
    const batch = this.batch;
    const bytes = this.batchBytes;
    if (batch.length === 0) return; // already sent (a big packet, a full batch, or flushNow)
    this.batch = [];
    this.batchBytes = 0;
    const socket = this.socket;
    if (this.dropped || socket.destroyed || !socket.writable) return;
    // Small packets are copied into one buffer: one write, and no per-packet work in writev.
    // Large ones go as they are, corked into one writev, to save the copy.
    let flushed: boolean;
    if (batch.length === 1) flushed = socket.write(batch[0]);
    else if (bytes <= COALESCE_LIMIT) flushed = socket.write(Buffer.concat(batch, bytes));
    else {
      socket.cork();
      for (const packet of batch) socket.write(packet);
      socket.uncork();
      flushed = socket.writableLength === 0;
    }
    if (!flushed && !this.stallTimer) {
      this.stallTimer = setTimeout(() => this.drop(`send queue not drained in ${this.options.stallTimeout} ms`), this.options.stallTimeout);
      this.stallTimer.unref();
    }
    // What the kernel did not take waits in memory: that is what the budget bounds.
    if (socket.writableLength > this.options.maxQueuedBytes) {
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
    const big = packet.length >= DIRECT_WRITE;
    if (this.batch.length === 0 && !big) process.nextTick(this.flush);
    this.batch.push(packet);
    this.batchBytes += packet.length;
    // A big packet goes out now (after what is batched, to keep the order): batching it would only
    // delay the peer's start on it. A long turn sends as it goes, so the peer starts working early.
    if (big || this.batch.length >= BATCH_PACKETS) this.flush();
    return true;
  }

  /** Sends what is batched now (before an end() or a close). */
  flushNow(): void {
    this.flush();
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
