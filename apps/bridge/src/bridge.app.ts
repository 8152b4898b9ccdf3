import { once } from 'node:events';
import { INestApplication, Logger, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { VsoaClient } from '@vsoa/core';
import type { BridgeConfig } from './bridge-config';
import { BridgeModule } from './bridge.module';
import { prefixFromInfo } from './topics';
import { TopicEventDeserializer } from './topic-event.deserializer';

/** Largest MQTT packet taken in: a VSOA packet at its limit (256 KiB) as base64 in JSON, with room to spare. */
export const MAX_REQUEST_PACKET = 1024 * 1024;

/** A running bridge. */
export interface Bridge {
  app: INestApplication;
  prefix: string;
  /** Where /health and /counters are served. */
  httpUrl: string;
  /** Settles once Nest's MQTT server has reached the broker (the HTTP side is up before). */
  mqttListening: Promise<void>;
}

export interface StartBridgeOptions {
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Starts the bridge: learns the topic prefix from the server when none is configured, then a
 * hybrid Nest app — HTTP for /health and /counters, Nest's MQTT transport for the requests.
 */
export async function startBridge(config: BridgeConfig, options: StartBridgeOptions = {}): Promise<Bridge> {
  const prefix = config.topicPrefix ?? (await learnPrefix(config));
  const app = await NestFactory.create(BridgeModule.register(config, prefix), { logger: options.logger });
  app.enableShutdownHooks();
  app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.MQTT,
    options: {
      url: config.mqttUrl,
      protocolVersion: 5,
      reconnectPeriod: config.mqttReconnect,
      deserializer: new TopicEventDeserializer(),
      subscribeOptions: { qos: config.qos },
      // The broker does not hand over bigger messages (MQTT 5): no request that large could become a
      // VSOA packet, and parsing it would hold up every other request.
      properties: { maximumPacketSize: MAX_REQUEST_PACKET },
    },
  });
  // Nest's MQTT server resolves once the broker answers; /health tells meanwhile that it does not.
  const mqttListening = app.startAllMicroservices().then(() => undefined);
  mqttListening.catch(() => undefined);
  await app.listen(config.httpPort, config.httpHost);
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    app,
    prefix,
    httpUrl: `http://${config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost}:${port}`,
    mqttListening,
  };
}

/** `vsoa/<info name>`: waits for the server to answer once (a robot retrying), reads its info, lets go. */
async function learnPrefix(config: BridgeConfig): Promise<string> {
  const logger = new Logger('Bridge');
  const probe = new VsoaClient();
  probe.once('connectError', (error) =>
    logger.warn(`waiting for ${config.vsoaUrl} to learn its name (${error.message}); BRIDGE_TOPIC_PREFIX starts without it`),
  );
  try {
    const linked = once(probe, 'connect') as Promise<[unknown]>;
    probe.robot(config.vsoaUrl, { passwd: config.vsoaPasswd });
    const [info] = await linked;
    const prefix = prefixFromInfo(info);
    if (prefix) return prefix;
    logger.warn(
      `${config.vsoaUrl} gives no name in its info (${JSON.stringify(info)}): topics go under vsoa/unnamed; set BRIDGE_TOPIC_PREFIX`,
    );
    return 'vsoa/unnamed';
  } finally {
    await probe.close();
  }
}
