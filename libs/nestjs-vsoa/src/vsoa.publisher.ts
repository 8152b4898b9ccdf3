import type { VsoaPayload } from '@vsoa/core';
import type { VsoaServerStrategy } from './vsoa.server';

/**
 * Publishes from anywhere in the app, without touching the strategy: inject it and call
 * `publish('/url', param, { quick, data })`.
 */
export class VsoaPublisher {
  constructor(private readonly strategy: VsoaServerStrategy) {}

  /** Publishes `param` (and binary `data`) on `url`; returns how many clients it reached. */
  publish(url: string, param?: unknown, options: { quick?: boolean; data?: Buffer } = {}): number {
    const payload: VsoaPayload = {};
    if (param !== undefined) payload.param = param;
    if (options.data) payload.data = options.data;
    return this.strategy.publish(url, payload, { quick: options.quick });
  }

  /** True when some client's subscriptions cover `url`. */
  isSubscribed(url: string): boolean {
    return this.strategy.isSubscribed(url);
  }
}
