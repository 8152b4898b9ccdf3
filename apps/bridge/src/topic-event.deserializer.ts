import type { ConsumerDeserializer, IncomingEvent } from '@nestjs/microservices';

/**
 * Every MQTT message is an event on its own topic. Nest's default would read a JSON payload with
 * `pattern` and `id` fields as one of its own requests: a request from outside must never be
 * taken for that, whatever its fields.
 */
export class TopicEventDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown, options?: Record<string, unknown>): IncomingEvent {
    return { pattern: options?.channel as string, data: value };
  }
}
