import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

/** What a side of a transfer saw: byte count and SHA-256. */
export interface Digest {
  bytes: number;
  sha256: string;
}

/**
 * Writes `total` random bytes in `chunk`-sized writes, waiting for 'drain' whenever write()
 * says so (so the writer feels backpressure), then ends. Resolves with what was sent.
 * `onProgress` sees the running total after each write.
 */
export async function writeRandom(
  stream: Writable,
  total: number,
  chunk = 64 * 1024,
  onProgress?: (written: number, waiting: boolean) => void,
): Promise<Digest> {
  const hash = createHash('sha256');
  let written = 0;
  while (written < total) {
    const piece = randomBytes(Math.min(chunk, total - written));
    hash.update(piece);
    written += piece.length;
    const more = stream.write(piece);
    // `waiting`: the stream is full and the writer now waits for 'drain'.
    onProgress?.(written, !more);
    if (!more) await once(stream, 'drain');
  }
  stream.end();
  return { bytes: written, sha256: hash.digest('hex') };
}

/**
 * Reads a stream to its end; resolves with what arrived. Uses events, not `for await`: the async
 * iterator destroys a Duplex when it finishes, which would cut off its writable side.
 */
export function readDigest(stream: Readable): Promise<Digest> {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    stream.on('data', (piece: Buffer) => {
      hash.update(piece);
      bytes += piece.length;
    });
    stream.once('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    stream.once('error', reject);
  });
}
