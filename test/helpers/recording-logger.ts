import { EventEmitter } from 'node:events';
import type { VsoaLogger } from '@vsoa/core';
import { nextEvent } from './events';

/** A core logger that keeps what it is told and emits each line as a 'debug' or 'warn' event. */
export class RecordingLogger extends EventEmitter implements VsoaLogger {
  readonly debugs: string[] = [];
  readonly warnings: string[] = [];

  debug(message: string): void {
    this.debugs.push(message);
    this.emit('debug', message);
  }

  warn(message: string): void {
    this.warnings.push(message);
    this.emit('warn', message);
  }

  /** The next warning that contains `text` (one already logged counts). */
  async warned(text: string, ms = 2000): Promise<string> {
    const seen = this.warnings.find((m) => m.includes(text));
    if (seen !== undefined) return seen;
    return (await nextEvent<[string]>(this, 'warn', (m) => m.includes(text), ms))[0];
  }
}
