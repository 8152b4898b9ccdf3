import { ConsoleLogger, Logger, LoggerService } from '@nestjs/common';

/** One line Nest's Logger was asked to write: the level, the message, and the logger's context. */
export interface LoggedLine {
  level: 'log' | 'warn' | 'error' | 'debug' | 'verbose' | 'fatal';
  message: string;
  context: string | undefined;
}

/**
 * A stand-in for Nest's logger that keeps what it is told: every `new Logger(context)` of the
 * library writes here while it is installed (`Logger.overrideLogger`). The context is the last
 * argument Nest passes.
 */
export class RecordingLogger implements LoggerService {
  readonly lines: LoggedLine[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.keep('log', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('verbose', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.keep('fatal', message, rest);
  }

  /** The messages of one level (and, if given, one context). */
  messages(level: LoggedLine['level'], context?: string): string[] {
    return this.lines
      .filter((line) => line.level === level && (context === undefined || line.context === context))
      .map((line) => line.message);
  }

  /** Resolves once a line of `level` whose message passes `match` is written (or was already). */
  waitFor(level: LoggedLine['level'], match: (message: string) => boolean, ms = 3000): Promise<string> {
    return new Promise((resolve, reject) => {
      const found = (): string | undefined => this.lines.find((line) => line.level === level && match(line.message))?.message;
      const early = found();
      if (early !== undefined) return resolve(early);
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${level} line as expected within ${ms} ms; got ${JSON.stringify(this.lines)}`));
      }, ms);
      const check = (): void => {
        const message = found();
        if (message === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(message);
      };
      this.waiters.add(check);
    });
  }

  private readonly waiters = new Set<() => void>();

  private keep(level: LoggedLine['level'], message: unknown, rest: unknown[]): void {
    const context = rest.length > 0 ? rest[rest.length - 1] : undefined;
    const text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
    this.lines.push({ level, message: text, context: typeof context === 'string' ? context : undefined });
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Installs a RecordingLogger before each test of the file and puts Nest's console logger back after. */
export function recordLogsEachTest(): { current: RecordingLogger } {
  const holder = { current: new RecordingLogger() };
  beforeEach(() => {
    holder.current = new RecordingLogger();
    Logger.overrideLogger(holder.current);
  });
  afterEach(() => {
    Logger.overrideLogger(new ConsoleLogger());
  });
  return holder;
}
