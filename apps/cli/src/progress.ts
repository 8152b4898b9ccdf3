import { Transform, TransformCallback } from 'node:stream';

/** How often the progress line is redrawn (ms). */
const REDRAW_EVERY = 250;

/**
 * Counts the bytes passing through, and redraws one progress line (bytes, rate, and the ETA when
 * the total is known) on `tty` if given. Call `finish()` at the end for a summary line.
 */
export class ProgressMeter extends Transform {
  bytes = 0;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly total: number | undefined,
    private readonly tty: { write(text: string): unknown } | null,
  ) {
    super();
    this.timer = tty ? setInterval(() => this.draw(), REDRAW_EVERY) : null;
    this.timer?.unref();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** Stops redrawing and replaces the line with a summary. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    const seconds = this.seconds();
    this.tty?.write(`\r${formatBytes(this.bytes)} in ${seconds.toFixed(1)} s (${formatBytes(this.bytes / seconds)}/s)\x1b[K\n`);
  }

  private draw(): void {
    const rate = this.bytes / this.seconds();
    const parts = [formatBytes(this.bytes)];
    if (this.total !== undefined)
      parts[0] += ` of ${formatBytes(this.total)} (${Math.floor((this.bytes / Math.max(this.total, 1)) * 100)}%)`;
    parts.push(`${formatBytes(rate)}/s`);
    if (this.total === undefined || rate === 0) parts.push('ETA unknown');
    else parts.push(`ETA ${Math.max(0, Math.ceil((this.total - this.bytes) / rate))} s`);
    this.tty?.write(`\r${parts.join('  ')}\x1b[K`);
  }

  private seconds(): number {
    return Math.max((Date.now() - this.started) / 1000, 0.001);
  }
}

/** `1.5 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}
