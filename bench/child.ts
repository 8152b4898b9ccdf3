import { createServer } from 'node:net';
import type { ChildMessage, DriverMessage, Measurement } from './scenarios';

/** Sends a message to the driver (the bench runs every side in a forked child process). */
export function tell(message: ChildMessage): void {
  process.send?.(message);
}

export function report(measurement: Measurement): void {
  tell({ type: 'result', measurement });
}

/** Peak resident set size of this process, in bytes. */
export function maxRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Answers the driver's 'stats' request with this process's peak RSS. */
export function answerStats(): void {
  process.on('message', (message: DriverMessage) => {
    if (message.type === 'stats') tell({ type: 'done', maxRss: maxRss() });
  });
}

/** Reports a fatal error to the driver and exits. */
export function fail(error: unknown): never {
  tell({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

/** Yields to the event loop (lets sockets flush between batches). */
export function yieldLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A free TCP port on 127.0.0.1 (for servers that cannot report the port they got for 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Writes `bytes` zero bytes in 64 KiB chunks, waiting for 'drain' when asked, then ends. */
export function pumpZeros(stream: NodeJS.WritableStream, bytes: number): void {
  const chunk = Buffer.alloc(64 * 1024);
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!stream.write(piece)) return void stream.once('drain', pump);
    }
    stream.end();
  };
  pump();
}
