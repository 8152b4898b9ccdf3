import { debuglog } from 'node:util';

/** Where the library writes what it notices. Nest's `Logger` fits this shape. */
export interface VsoaLogger {
  debug(message: string): void;
  warn(message: string): void;
}

const debug = debuglog('vsoa');

/** Default logger: silent unless `NODE_DEBUG=vsoa`. */
export const defaultLogger: VsoaLogger = {
  debug: (message) => debug('%s', message),
  warn: (message) => debug('%s', message),
};

/**
 * Passes at most `perSecond` warnings a second to a logger and sums up the rest, so a flood of
 * bad packets cannot flood the log.
 */
export class RateLimitedWarn {
  private windowStart = 0;
  private count = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: VsoaLogger,
    private readonly perSecond = 10,
  ) {}

  warn(message: string): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      if (this.suppressed > 0) this.logger.warn(`${this.suppressed} similar message(s) suppressed`);
      this.windowStart = now;
      this.count = 0;
      this.suppressed = 0;
    }
    if (this.count < this.perSecond) {
      this.count++;
      this.logger.warn(message);
    } else {
      this.suppressed++;
    }
  }
}
