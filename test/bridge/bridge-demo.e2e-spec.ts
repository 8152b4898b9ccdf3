/**
 * The bridge's "done when", as a user runs it: the demo, a real Mosquitto, the bridge between
 * them configured by its environment, and a plain `mqtt` client as the outside world.
 */
import 'reflect-metadata';
import '../demo/demo-env';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { VsoaClient } from '@vsoa/core';
import { VsoaServerStrategy } from '@vsoa/nestjs';
import { AppModule } from '../../apps/demo/src/app.module';
import { LightService } from '../../apps/demo/src/light.service';
import { startBridge, Bridge } from '../../apps/bridge/src/bridge.app';
import { readBridgeConfig } from '../../apps/bridge/src/bridge-config';
import { MqttBroker } from '../helpers/mqtt-broker';
import { MqttInbox } from '../helpers/mqtt-inbox';

let broker: MqttBroker;
let demo: INestApplication;
let bridge: Bridge;
let outside: MqttInbox;
let demoUrl: string;

beforeAll(async () => {
  broker = await MqttBroker.start();
  demo = await NestFactory.create(AppModule, { logger: false });
  demo.connectMicroservice({ strategy: demo.get(VsoaServerStrategy) });
  await demo.startAllMicroservices();
  await demo.init();
  demoUrl = `vsoa://127.0.0.1:${demo.get(VsoaServerStrategy).unwrap().address()!.port}`;
  const config = readBridgeConfig({ BRIDGE_VSOA_URL: demoUrl, BRIDGE_MQTT_URL: broker.url, BRIDGE_HTTP_PORT: '0' });
  bridge = await startBridge(config, { logger: false });
  await bridge.mqttListening;
  await broker.subscribed('vsoa/demo/rpc/#');
  outside = await MqttInbox.connect(broker.url);
});

afterAll(async () => {
  await outside?.close();
  await bridge?.app.close();
  await demo?.close();
  await broker?.stop();
});

it('names the topics after the server: vsoa/<its info name>', () => {
  expect(bridge.prefix).toBe('vsoa/demo');
});

it('puts a VSOA SET of /light on vsoa/demo/light for an MQTT subscriber', async () => {
  await outside.client.subscribeAsync('vsoa/demo/light', { qos: 1 });
  const car = new VsoaClient({ timeout: 3000 });
  await car.connect(demoUrl);
  try {
    const reply = await car.fetch('/light', { method: 'SET', payload: { param: { on: true, brightness: 40 } } });
    expect(reply.status).toBe(0);
  } finally {
    await car.close();
  }
  const published = await outside.take('vsoa/demo/light');
  expect(MqttInbox.json(published)).toEqual({ on: true, brightness: 40 });
});

it("answers an MQTT request on vsoa/demo/rpc/light with the light's state, on its response topic", async () => {
  await outside.client.subscribeAsync('dashboard/replies', { qos: 1 });
  const correlationData = Buffer.from('req-1');
  await outside.client.publishAsync('vsoa/demo/rpc/light', JSON.stringify({ method: 'GET' }), {
    qos: 1,
    properties: { responseTopic: 'dashboard/replies', correlationData },
  });
  const replied = await outside.take('dashboard/replies');
  expect(replied.packet.properties?.correlationData).toEqual(correlationData);
  const reply = MqttInbox.json<{ status: number; param: { on: boolean; brightness: number } }>(replied);
  expect(reply.status).toBe(0);
  // The demo's own HTTP view of the same light agrees.
  expect(reply.param).toEqual(demo.get(LightService).get());
});
