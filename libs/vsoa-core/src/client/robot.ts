import { VsoaError } from '../errors';
import type { VsoaLogger } from '../logger';
import type { VsoaClient } from './client';
import type { RobotOptions } from './types';

/** Smallest turbo ping period (ms): faster pings only add load. */
const MIN_TURBO = 25;

/**
 * The reconnect supervisor behind `client.robot()`: connect, keep alive with pings, reconnect
 * after a delay when the link drops, and re-subscribe. The URL is resolved again before every
 * attempt, so a name that moves to another server is followed.
 */
export class Robot {
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private lost = 0;
  private pingInFlight = false;
  private lastPing = 0;
  private readonly keepalive: number;
  private readonly pingTimeout: number;
  private readonly pingLost: number;
  private readonly reconnDelay: number;
  private readonly turbo: number;
  private readonly onDisconnect = (): void => this.afterDrop();

  constructor(
    private readonly client: VsoaClient,
    private readonly url: string,
    private readonly options: RobotOptions,
    private readonly logger: VsoaLogger,
  ) {
    this.keepalive = options.keepalive ?? 3000;
    this.pingTimeout = options.pingTimeout ?? this.keepalive;
    this.pingLost = options.pingLost ?? 3;
    this.reconnDelay = options.reconnDelay ?? 1000;
    this.turbo = options.turbo ? Math.max(MIN_TURBO, options.turbo) : 0;
  }

  start(): void {
    this.client.on('disconnect', this.onDisconnect);
    void this.attempt();
  }

  stop(): void {
    this.stopped = true;
    this.client.off('disconnect', this.onDisconnect);
    this.stopTimers();
  }

  private async attempt(): Promise<void> {
    this.retryTimer = null;
    if (this.stopped) return;
    // What to re-subscribe is what was subscribed before this link: subscriptions made once it is
    // up (from a 'connect' listener, say) are the caller's own.
    const before = this.client.subscribed();
    try {
      await this.client.open(this.url, { ...this.options, timeout: this.options.connTimeout ?? this.options.timeout });
    } catch (error) {
      if (this.stopped) return;
      this.logger.debug(`robot: connect to ${this.url} failed: ${(error as Error).message}`);
      this.client.emit('connectError', error as Error);
      this.schedule();
      return;
    }
    if (this.stopped) {
      this.client.dropLink(new VsoaError('CLOSED', 'robot stopped'));
      return;
    }
    this.lost = 0;
    this.lastPing = Date.now();
    this.pingTimer = setInterval(() => this.tick(), this.turbo || this.keepalive);
    this.pingTimer.unref();
    const current = new Set(this.client.subscribed());
    const urls = before.filter((url) => current.has(url));
    if (urls.length > 0) {
      this.client.subscribe(urls).catch((error: Error) => this.logger.warn(`robot: re-subscribe failed: ${error.message}`));
    }
  }

  private tick(): void {
    if (this.pingInFlight || !this.client.connected) return;
    const now = Date.now();
    const turbo = this.turbo > 0 && this.client.pending > 0;
    if (!turbo && now - this.lastPing < this.keepalive) return;
    this.lastPing = now;
    this.pingInFlight = true;
    this.client.ping(this.pingTimeout).then(
      () => {
        this.pingInFlight = false;
        this.lost = 0;
      },
      (error: Error) => {
        this.pingInFlight = false;
        if ((error as VsoaError).code !== 'TIMEOUT') return;
        if (++this.lost > this.pingLost - 1) {
          this.logger.warn(`robot: ${this.lost} pings lost, dropping the link`);
          this.client.dropLink(new VsoaError('TIMEOUT', `${this.lost} keepalive pings lost`));
        }
      },
    );
  }

  private afterDrop(): void {
    this.stopTimers();
    this.pingInFlight = false;
    if (!this.stopped) this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => void this.attempt(), this.reconnDelay);
  }

  private stopTimers(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.pingTimer = null;
    this.retryTimer = null;
  }
}
