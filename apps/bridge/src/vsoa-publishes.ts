import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { urlMatches } from '@vsoa/core';
import type { VsoaMessage } from '@vsoa/nestjs';
import { Subscription } from 'rxjs';
import { BridgeCounters } from './bridge-counters';
import type { BridgeConfig } from './bridge-config';
import { BRIDGE_CONFIG, BRIDGE_PREFIX } from './bridge.tokens';
import { MqttOutbox } from './mqtt-outbox';
import { encodeMessage } from './mqtt-payload';
import { publishTopic } from './topics';
import { VsoaLink } from './vsoa-link';

/** URLs whose skipping has been logged, at most this many (a server may publish on endless URLs). */
const SKIP_LOG_LIMIT = 100;

/** VSOA → MQTT: every publish under the subscribed URLs goes out on `<prefix><url>`. */
@Injectable()
export class VsoaPublishes implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('VsoaPublishes');
  private readonly subscriptions = new Subscription();
  private readonly skipsLogged = new Set<string>();

  constructor(
    private readonly link: VsoaLink,
    private readonly outbox: MqttOutbox,
    private readonly counters: BridgeCounters,
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    @Inject(BRIDGE_PREFIX) private readonly prefix: string,
  ) {}

  /** Subscribes (the robot renews the subscriptions after every reconnect). */
  onApplicationBootstrap(): void {
    for (const url of uncovered(this.config.subscribe)) {
      this.subscriptions.add(
        this.link.client.subscribe(url).subscribe({
          next: (message) => this.forward(message),
          error: (error: unknown) => this.logger.error(`the server refused the subscription to ${url}: ${String(error)}`),
        }),
      );
    }
  }

  onApplicationShutdown(): void {
    this.subscriptions.unsubscribe();
  }

  private forward(message: VsoaMessage): void {
    this.counters.out.received++;
    const target = publishTopic(this.prefix, message.url);
    if ('skip' in target) {
      this.counters.out.skipped++;
      if (this.skipsLogged.size < SKIP_LOG_LIMIT && !this.skipsLogged.has(message.url)) {
        this.skipsLogged.add(message.url);
        this.logger.warn(`publishes on ${target.skip}: not bridged`);
      }
      return;
    }
    const { payload, contentType } = encodeMessage(message);
    this.outbox.send({
      topic: target.topic,
      payload,
      options: { qos: message.quick ? this.config.quickQos : this.config.qos, retain: this.config.retain, properties: { contentType } },
    });
  }
}

/** The URLs not covered by a prefix also listed (with `/` and `/light`, only `/`): each publish goes out once. */
export function uncovered(urls: string[]): string[] {
  const unique = [...new Set(urls)];
  return unique.filter((url) => !unique.some((other) => other !== url && other.endsWith('/') && urlMatches(other, url)));
}
