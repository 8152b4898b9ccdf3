import { VsoaError } from '../errors';
import type { VsoaLogger } from '../logger';
import type { VsoaClient } from './client';
import type { RobotOptions } from './types';

/** Smallest turbo ping period (ms), as the seed's: faster pings only add load. */
export const MIN_TURBO = 25;
/** Smallest keepalive period and connect timeout (ms), as the seed's. */
export const MIN_ROBOT_PERIOD = 50;

/**
 * Checks robot options as the seed does: `keepalive` and `connTimeout` at least 50 ms, `turbo` 0
 * (off) or from 25 ms up to `keepalive`, `reconnDelay` ≥ 0, `pingLost` and `pingTimeout` positive.
 * Throws `VsoaError('INVALID_ARGUMENT')` naming the option; nothing is raised or lowered quietly.
 */
export function checkRobotOptions(options: RobotOptions): void {
  const fail = (message: string): never => {
    throw new VsoaError('INVALID_ARGUMENT', `robot: ${message}`);
  };
  const { keepalive = DEFAULT_KEEPALIVE, connTimeout, reconnDelay, pingLost, pingTimeout, turbo } = options;
  const number = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
  if (!number(keepalive) || keepalive < MIN_ROBOT_PERIOD) fail(`keepalive must be at least ${MIN_ROBOT_PERIOD} ms, got ${keepalive}`);
  if (connTimeout !== undefined && (!number(connTimeout) || connTimeout < MIN_ROBOT_PERIOD)) {
    fail(`connTimeout must be at least ${MIN_ROBOT_PERIOD} ms, got ${connTimeout}`);
  }
  if (reconnDelay !== undefined && (!number(reconnDelay) || reconnDelay < 0)) fail(`reconnDelay must be >= 0 ms, got ${reconnDelay}`);
  if (pingLost !== undefined && (!Number.isInteger(pingLost) || pingLost < 1))
    fail(`pingLost must be a whole number >= 1, got ${pingLost}`);
  if (pingTimeout !== undefined && (!number(pingTimeout) || pingTimeout <= 0)) fail(`pingTimeout must be > 0 ms, got ${pingTimeout}`);
  if (turbo !== undefined) checkTurbo(turbo, keepalive);
}

/** Turbo is 0 (off) or from 25 ms up to the keepalive period. */
function checkTurbo(turbo: number, keepalive: number): void {
  if (typeof turbo !== 'number' || !Number.isFinite(turbo) || turbo < 0 || (turbo > 0 && turbo < MIN_TURBO)) {
    throw new VsoaError('INVALID_ARGUMENT', `robot: turbo must be 0 (off) or at least ${MIN_TURBO} ms, got ${turbo}`);
  }
  if (turbo > keepalive) {
    throw new VsoaError('INVALID_ARGUMENT', `robot: turbo (${turbo} ms) must not exceed keepalive (${keepalive} ms)`);
  }
}

const DEFAULT_KEEPALIVE = 3000;
const DEFAULT_CONN_TIMEOUT = 10_000;

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
  private turbo: number;
  private readonly onDisconnect = (): void => this.afterDrop();

  constructor(
    private readonly client: VsoaClient,
    private readonly url: string,
    private readonly options: RobotOptions,
    private readonly logger: VsoaLogger,
  ) {
    checkRobotOptions(options);
    this.keepalive = options.keepalive ?? DEFAULT_KEEPALIVE;
    this.pingTimeout = options.pingTimeout ?? this.keepalive;
    this.pingLost = options.pingLost ?? 3;
    this.reconnDelay = options.reconnDelay ?? 1000;
    this.turbo = options.turbo ?? 0;
  }

  start(): void {
    this.client.on('disconnect', this.onDisconnect);
    void this.attempt();
  }

  /** Changes the turbo ping period (0: off) on the running robot. Throws as `checkRobotOptions`. */
  setTurbo(turbo: number): void {
    checkTurbo(turbo, this.keepalive);
    this.turbo = turbo;
    if (this.pingTimer) this.startPinging();
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
      await this.client.open(this.url, {
        ...this.options,
        timeout: this.options.connTimeout ?? this.options.timeout ?? DEFAULT_CONN_TIMEOUT,
      });
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
    this.startPinging();
    const current = new Set(this.client.subscribed());
    const urls = before.filter((url) => current.has(url));
    if (urls.length > 0) {
      this.client.subscribe(urls).catch((error: Error) => this.logger.warn(`robot: re-subscribe failed: ${error.message}`));
    }
  }

  /** The ping timer ticks at the turbo period when turbo is on: tick() decides whether to ping. */
  private startPinging(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.tick(), this.turbo || this.keepalive);
    this.pingTimer.unref();
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
