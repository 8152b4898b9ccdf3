import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { BridgeCounters } from './bridge-counters';
import type { BridgeConfig } from './bridge-config';
import { BRIDGE_CONFIG, BRIDGE_PREFIX } from './bridge.tokens';
import { MqttOutbox } from './mqtt-outbox';
import { redactUrl } from './redact-url';
import { VsoaLink } from './vsoa-link';

/** The bridge's own view of its two links, and its counters. */
@Controller()
export class BridgeStatusController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly vsoa: VsoaLink,
    private readonly outbox: MqttOutbox,
    private readonly counters: BridgeCounters,
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    @Inject(BRIDGE_PREFIX) private readonly prefix: string,
  ) {}

  /** 200 while both the VSOA server and the broker are linked, 503 (saying which is not) otherwise. */
  @Get('health')
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.linkState('vsoa', this.vsoa.connected, this.config.vsoaUrl),
      () => this.linkState('mqtt', this.outbox.connected, this.config.mqttUrl),
    ]);
  }

  @Get('counters')
  report(): Record<string, unknown> {
    return {
      prefix: this.prefix,
      vsoa: { url: redactUrl(this.config.vsoaUrl), linked: this.vsoa.connected, subscriptions: this.vsoa.subscriptions() },
      mqtt: { url: redactUrl(this.config.mqttUrl), linked: this.outbox.connected },
      out: this.counters.out,
      in: this.counters.in,
    };
  }

  private linkState<K extends string>(key: K, linked: boolean, url: string): HealthIndicatorResult<K> {
    const session = this.indicators.check(key);
    return linked ? session.up({ url: redactUrl(url) }) : session.down({ url: redactUrl(url), message: 'not linked; reconnecting' });
  }
}
