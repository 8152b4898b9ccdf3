import { Inject, Injectable, Logger } from '@nestjs/common';
import { isValidUrl, VsoaError, VsoaStatus } from '@vsoa/core';
import type { IPublishPacket } from 'mqtt';
import { BridgeCounters } from './bridge-counters';
import type { BridgeConfig } from './bridge-config';
import { BRIDGE_CONFIG, BRIDGE_PREFIX } from './bridge.tokens';
import { MqttOutbox } from './mqtt-outbox';
import { BridgeRequestError, decodeMessage, encodeReply, JSON_CONTENT_TYPE, parseRpcRequest, RpcReplyBody } from './mqtt-payload';
import { DATAGRAM_LEVEL, replyTopic, requestUrl, RPC_LEVEL } from './topics';
import { VsoaLink } from './vsoa-link';

/**
 * MQTT → VSOA: a request on `<prefix>/rpc<url>` becomes an RPC whose reply goes to the request's
 * MQTT v5 response topic with its correlation data (else `<prefix>/reply<url>`); a message on
 * `<prefix>/datagram<url>` becomes a datagram. Every request is answered: by the VSOA server, or
 * by the bridge with a status and an `error` when it cannot ask it.
 */
@Injectable()
export class MqttRequests {
  private readonly logger = new Logger('MqttRequests');
  private pending = 0;

  constructor(
    private readonly link: VsoaLink,
    private readonly outbox: MqttOutbox,
    private readonly counters: BridgeCounters,
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    @Inject(BRIDGE_PREFIX) private readonly prefix: string,
  ) {}

  async rpc(topic: string, packet: IPublishPacket): Promise<void> {
    this.counters.in.rpcRequests++;
    const url = requestUrl(this.prefix, RPC_LEVEL, topic);
    const replyTo = {
      topic: packet.properties?.responseTopic ?? replyTopic(this.prefix, url),
      correlationData: packet.properties?.correlationData,
    };
    let request;
    try {
      request = parseRpcRequest(toBuffer(packet.payload));
    } catch (error) {
      this.counters.in.rejected++;
      return this.reply(replyTo, { status: VsoaStatus.ARGUMENTS, error: (error as Error).message });
    }
    const { id } = request;
    const client = this.link.linkedClient();
    if (!client) {
      this.counters.in.rpcUnanswered++;
      return this.reply(replyTo, { status: VsoaStatus.PROXY, error: `VSOA server ${this.config.vsoaUrl} is not linked`, id });
    }
    if (this.pending >= this.config.maxPending) {
      this.counters.in.rpcUnanswered++;
      return this.reply(replyTo, { status: VsoaStatus.NO_MEMORY, error: `${this.pending} requests in flight already`, id });
    }
    this.pending++;
    try {
      const reply = await client.fetch(url, { method: request.method, payload: request.payload, timeout: this.config.rpcTimeout });
      if (reply.status === VsoaStatus.SUCCESS) this.counters.in.rpcSucceeded++;
      else this.counters.in.rpcFailed++;
      const { param, data } = reply.payload;
      this.reply(replyTo, { status: reply.status, param, data: data?.length ? data.toString('base64') : undefined, id });
    } catch (error) {
      // Not sent (too large for a VSOA packet), or no reply: a timeout, the link lost meanwhile.
      this.counters.in.rpcUnanswered++;
      const refused = error instanceof VsoaError && (error.code === 'INVALID_ARGUMENT' || error.code === 'TOO_LARGE');
      const status = refused ? VsoaStatus.ARGUMENTS : VsoaStatus.PROXY;
      this.reply(replyTo, { status, error: (error as Error).message, id });
    } finally {
      this.pending--;
    }
  }

  datagram(topic: string, packet: IPublishPacket): void {
    this.counters.in.datagrams++;
    const url = requestUrl(this.prefix, DATAGRAM_LEVEL, topic);
    let sent: boolean;
    try {
      const message = decodeMessage(toBuffer(packet.payload), packet.properties?.contentType);
      if (!isValidUrl(url)) throw new BridgeRequestError(`${url} is not a VSOA URL`);
      sent = this.link.linkedClient()?.datagram(url, message) ?? false;
    } catch (error) {
      this.counters.in.rejected++;
      this.logger.warn(`datagram on ${topic} not sent: ${(error as Error).message}`);
      return;
    }
    if (!sent) this.counters.in.datagramsLost++;
  }

  private reply(to: { topic: string; correlationData?: Buffer }, body: RpcReplyBody): void {
    this.outbox.send({
      topic: to.topic,
      payload: encodeReply(body),
      options: {
        qos: this.config.qos,
        // mqtt-packet writes every key it is given: no correlationData key without the data.
        properties: to.correlationData
          ? { contentType: JSON_CONTENT_TYPE, correlationData: to.correlationData }
          : { contentType: JSON_CONTENT_TYPE },
      },
    });
  }
}

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload) : payload;
}
