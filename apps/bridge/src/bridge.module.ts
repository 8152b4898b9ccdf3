import { DynamicModule, Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { TerminusModule } from '@nestjs/terminus';
import { ClientVsoa } from '@vsoa/nestjs';
import { BridgeCounters } from './bridge-counters';
import type { BridgeConfig } from './bridge-config';
import { BridgeStatusController } from './bridge-status.controller';
import { BRIDGE_CONFIG, BRIDGE_MQTT, BRIDGE_PREFIX, BRIDGE_VSOA } from './bridge.tokens';
import { MqttOutbox } from './mqtt-outbox';
import { MqttRequests } from './mqtt-requests';
import { mqttRequestsController } from './mqtt-requests.controller';
import { RawPayloadSerializer } from './raw-payload.serializer';
import { VsoaLink } from './vsoa-link';
import { VsoaPublishes } from './vsoa-publishes';

/** The bridge for one VSOA server, one broker and one topic prefix. */
@Module({})
export class BridgeModule {
  static register(config: BridgeConfig, prefix: string): DynamicModule {
    return {
      module: BridgeModule,
      imports: [
        TerminusModule,
        ClientsModule.register([
          { name: BRIDGE_VSOA, customClass: ClientVsoa, options: { url: config.vsoaUrl, passwd: config.vsoaPasswd } },
          {
            name: BRIDGE_MQTT,
            transport: Transport.MQTT,
            options: {
              url: config.mqttUrl,
              protocolVersion: 5,
              reconnectPeriod: config.mqttReconnect,
              serializer: new RawPayloadSerializer(),
              // The outbox keeps what waits for the broker, within its bound.
              queueQoSZero: false,
            },
          },
        ]),
      ],
      controllers: [mqttRequestsController(prefix, config.shareGroup), BridgeStatusController],
      providers: [
        { provide: BRIDGE_CONFIG, useValue: config },
        { provide: BRIDGE_PREFIX, useValue: prefix },
        BridgeCounters,
        VsoaLink,
        MqttOutbox,
        VsoaPublishes,
        MqttRequests,
      ],
      exports: [BridgeCounters, MqttOutbox, VsoaLink],
    };
  }
}
