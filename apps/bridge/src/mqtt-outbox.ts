import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClientMqtt, MqttRecord, MqttRecordOptions } from '@nestjs/microservices';
import { lastValueFrom, Subscription } from 'rxjs';
import { BridgeCounters } from './bridge-counters';
import { BRIDGE_CONFIG, BRIDGE_MQTT } from './bridge.tokens';
import { redactUrl } from './redact-url';
import type { BridgeConfig } from './bridge-config';

/** One message for the broker. */
export interface OutgoingMessage {
  topic: string;
  payload: Buffer;
  options: MqttRecordOptions;
}

/** What the outbox reports: `'buffered'` / `'dropped'` (how many are waiting), `'flushed'` (after the broker came back). */
export interface MqttOutboxEvents {
  buffered: [waiting: number];
  dropped: [waiting: number];
  flushed: [sent: number];
}

/**
 * Everything the bridge sends to the broker goes through here. While the broker is linked a
 * message is published at once; while it is not, messages wait in a buffer of `config.buffer`,
 * the oldest dropped (and counted) beyond it, and go out in order once the link is back. mqtt.js
 * would queue without bound; this keeps a car that lost its uplink for an hour from filling its memory.
 */
@Injectable()
export class MqttOutbox extends EventEmitter<MqttOutboxEvents> implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MqttOutbox');
  private readonly waiting: OutgoingMessage[] = [];
  private linked = false;
  private statusSubscription?: Subscription;

  constructor(
    @Inject(BRIDGE_MQTT) private readonly mqtt: ClientMqtt,
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    private readonly counters: BridgeCounters,
  ) {
    super();
  }

  /** Whether the broker is linked now. */
  get connected(): boolean {
    return this.linked;
  }

  onApplicationBootstrap(): void {
    this.statusSubscription = this.mqtt.status.subscribe((status) => {
      const linked = status === 'connected';
      if (linked === this.linked) return;
      this.linked = linked;
      // ClientMqtt reports 'connected' before it drops the failed connect promise of the lost
      // link, which a publish made now would still meet: flush once its handler is done.
      if (linked) setImmediate(() => this.flush());
      else
        this.logger.warn(`broker ${redactUrl(this.config.mqttUrl)} unreachable (${status}); keeping up to ${this.config.buffer} messages`);
    });
    // The first attempt may fail; mqtt.js goes on trying and the status tells when it is linked.
    this.mqtt
      .connect()
      .catch((error: unknown) => this.logger.warn(`broker ${redactUrl(this.config.mqttUrl)} not reached yet: ${String(error)}`));
  }

  onApplicationShutdown(): void {
    this.statusSubscription?.unsubscribe();
  }

  /** Publishes now, or keeps the message for when the broker is back. */
  send(message: OutgoingMessage): void {
    if (this.linked && this.waiting.length === 0) this.publish(message);
    else this.keep(message);
  }

  private keep(message: OutgoingMessage): void {
    if (this.config.buffer === 0) {
      this.counters.out.dropped++;
      this.emit('dropped', 0);
      return;
    }
    this.waiting.push(message);
    if (this.waiting.length > this.config.buffer) {
      this.waiting.shift();
      this.counters.out.dropped++;
      this.counters.out.buffered = this.waiting.length;
      this.emit('dropped', this.waiting.length);
      return;
    }
    this.counters.out.buffered = this.waiting.length;
    this.emit('buffered', this.waiting.length);
  }

  private flush(): void {
    if (!this.linked) return;
    const messages = this.waiting.splice(0);
    this.counters.out.buffered = 0;
    for (const message of messages) this.publish(message);
    if (messages.length > 0) this.logger.log(`broker back: sent ${messages.length} kept messages`);
    this.emit('flushed', messages.length);
  }

  private publish(message: OutgoingMessage): void {
    lastValueFrom(this.mqtt.emit(message.topic, new MqttRecord(message.payload, message.options)), { defaultValue: undefined }).then(
      () => this.counters.out.published++,
      (error: unknown) => {
        // Lost with the link before mqtt.js took it: keep it for the next link.
        if (!this.linked) return this.keep(message);
        this.counters.out.failed++;
        this.logger.warn(`publish on ${message.topic} failed: ${String(error)}`);
      },
    );
  }
}
