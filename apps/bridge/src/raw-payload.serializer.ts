import { MqttRecord, type ReadPacket, type Serializer } from '@nestjs/microservices';

/** Sends the record's bytes as they are: the outside world reads plain payloads, not Nest's packet envelope. */
export class RawPayloadSerializer implements Serializer<ReadPacket, Buffer | string> {
  serialize(packet: ReadPacket): Buffer | string {
    const data: unknown = packet.data instanceof MqttRecord ? packet.data.data : packet.data;
    return Buffer.isBuffer(data) || typeof data === 'string' ? data : JSON.stringify(data);
  }
}
