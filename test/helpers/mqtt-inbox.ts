/**
 * An outside MQTT user for the bridge tests: a plain `mqtt` client that keeps every message it
 * receives, so a test can wait for one that may already have arrived.
 */
import { connectAsync, IClientOptions, IPublishPacket, MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

export class MqttInbox {
  private readonly unread: Received[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.unread.push({ topic, payload, packet });
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  static async connect(url: string, options: IClientOptions = {}): Promise<MqttInbox> {
    return new MqttInbox(await connectAsync(url, { protocolVersion: 5, reconnectPeriod: 100, ...options }));
  }

  /** Takes the first unread message on `topic` (or that `match` accepts); rejects after `ms`. */
  take(match: string | ((message: Received) => boolean), ms = 5000): Promise<Received> {
    const accepts = typeof match === 'string' ? (message: Received) => message.topic === match : match;
    return new Promise<Received>((resolve, reject) => {
      const check = (): boolean => {
        const index = this.unread.findIndex(accepts);
        if (index < 0) return false;
        const [message] = this.unread.splice(index, 1);
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(message);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no MQTT message ${typeof match === 'string' ? `on ${match}` : 'as expected'} within ${ms} ms`));
      }, ms);
      if (!check()) this.waiters.add(check);
    });
  }

  /** The unread messages on `topic`, left unread. */
  peek(topic: string): Received[] {
    return this.unread.filter((message) => message.topic === topic);
  }

  /** Payloads parsed as JSON. */
  static json<T = unknown>(message: Received): T {
    return JSON.parse(message.payload.toString()) as T;
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}
