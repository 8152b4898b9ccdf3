import { Controller, Inject, Type } from '@nestjs/common';
import { Ctx, EventPattern, MqttContext, Transport } from '@nestjs/microservices';
import type { IPublishPacket } from 'mqtt';
import { MqttRequests } from './mqtt-requests';
import { DATAGRAM_LEVEL, requestFilter, RPC_LEVEL } from './topics';

/**
 * The MQTT handlers, on Nest's own MQTT transport. Their topics depend on the prefix, which may be
 * learnt from the server at start, so the class is made for one prefix (decorators take it from
 * the closure). The raw MQTT packet is read from the context: the
 * payload bytes as sent, and the v5 properties (response topic, correlation data, content type).
 */
export function mqttRequestsController(prefix: string, shareGroup?: string): Type<unknown> {
  @Controller()
  class MqttRequestsController {
    constructor(@Inject(MqttRequests) private readonly requests: MqttRequests) {}

    @EventPattern<string>(requestFilter(prefix, RPC_LEVEL, shareGroup), Transport.MQTT)
    rpc(@Ctx() context: MqttContext): Promise<void> {
      return this.requests.rpc(context.getTopic(), context.getPacket() as IPublishPacket);
    }

    @EventPattern<string>(requestFilter(prefix, DATAGRAM_LEVEL, shareGroup), Transport.MQTT)
    datagram(@Ctx() context: MqttContext): void {
      this.requests.datagram(context.getTopic(), context.getPacket() as IPublishPacket);
    }
  }
  return MqttRequestsController;
}
