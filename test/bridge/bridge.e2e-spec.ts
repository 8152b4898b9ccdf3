/**
 * The VSOA ⇄ MQTT bridge against a real Mosquitto and a VSOA server named "car": the topic map
 * both ways, MQTT 5 and 3.1.1 callers, binary data, bad requests, QoS, and the faults — the VSOA
 * server away, the broker restarted with the buffer's bound, two bridges sharing the requests.
 */
import 'reflect-metadata';
import { firstValueFrom, filter } from 'rxjs';
import { VsoaPayload, VsoaServer } from '@vsoa/core';
import { VsoaClientStatus } from '@vsoa/nestjs';
import { ClientMqtt } from '@nestjs/microservices';
import { Bridge, MAX_REQUEST_PACKET, startBridge } from '../../apps/bridge/src/bridge.app';
import { readBridgeConfig } from '../../apps/bridge/src/bridge-config';
import { BridgeCounters } from '../../apps/bridge/src/bridge-counters';
import { BRIDGE_MQTT } from '../../apps/bridge/src/bridge.tokens';
import { MqttOutbox } from '../../apps/bridge/src/mqtt-outbox';
import { ENVELOPE_CONTENT_TYPE } from '../../apps/bridge/src/mqtt-payload';
import { VsoaLink } from '../../apps/bridge/src/vsoa-link';
import { nextEvent } from '../helpers/events';
import { MqttBroker } from '../helpers/mqtt-broker';
import { MqttInbox } from '../helpers/mqtt-inbox';
import { teardownsAfterEach } from '../helpers/teardowns';

interface ReplyBody {
  status: number;
  param?: unknown;
  data?: string;
  error?: string;
  id?: string | number;
}

let broker: MqttBroker;
const teardowns = teardownsAfterEach();

beforeAll(async () => {
  broker = await MqttBroker.start();
});

afterAll(async () => {
  await broker?.stop();
});

/** The VSOA side: a light, a command answering binary data, one refusing with its own status, datagrams recorded. */
async function carServer(port = 0): Promise<{ server: VsoaServer; url: string; datagrams: Array<[string, VsoaPayload]> }> {
  const server = new VsoaServer({ info: { name: 'car' } });
  let light = { on: false };
  server.command('/light', (cli, req, payload) => {
    if (req.method === 'SET') light = payload.param as { on: boolean };
    cli.reply(req.seqno, { param: light });
  });
  server.command('/camera/frame', (cli, req) => cli.reply(req.seqno, { param: { format: 'raw' }, data: Buffer.from([0, 1, 254, 255]) }));
  server.command('/locked', (cli, req) => cli.reply(req.seqno, { param: { error: 'door locked' } }, { status: 130 }));
  const datagrams: Array<[string, VsoaPayload]> = [];
  server.on('datagram', (_cli, url, payload) => datagrams.push([url, payload]));
  await server.listen({ host: '127.0.0.1', port });
  teardowns.push(() => server.close());
  return { server, url: `vsoa://127.0.0.1:${server.address()!.port}`, datagrams };
}

/** A bridge to `vsoaUrl`, its requests subscribed on the broker and its subscriptions taken by the server. */
async function bridgeTo(vsoaUrl: string, env: Record<string, string> = {}): Promise<Bridge> {
  const config = readBridgeConfig({
    BRIDGE_VSOA_URL: vsoaUrl,
    BRIDGE_MQTT_URL: broker.url,
    BRIDGE_HTTP_PORT: '0',
    BRIDGE_MQTT_RECONNECT: '100',
    ...env,
  });
  const bridge = await startBridge(config, { logger: false });
  teardowns.push(() => bridge.app.close());
  await bridge.mqttListening;
  const share = config.shareGroup ? `$share/${config.shareGroup}/` : '';
  await broker.subscribed(`${share}${bridge.prefix}/rpc/#`);
  await broker.subscribed(`${share}${bridge.prefix}/datagram/#`);
  const link = bridge.app.get(VsoaLink);
  const pending = config.subscribe.filter((url) => !link.subscriptions().includes(url));
  await Promise.all(pending.map((url) => nextEvent(link, 'subscribed', (taken) => taken === url)));
  return bridge;
}

async function outsider(options: Parameters<typeof MqttInbox.connect>[1] = {}): Promise<MqttInbox> {
  const inbox = await MqttInbox.connect(broker.url, options);
  teardowns.push(() => inbox.close());
  return inbox;
}

/** Sends an RPC request with MQTT 5 response topic and correlation data; resolves with the reply. */
async function request(inbox: MqttInbox, topic: string, body: unknown, correlation: string): Promise<ReplyBody> {
  const replyTopic = `test/replies/${correlation}`;
  await inbox.client.subscribeAsync(replyTopic, { qos: 1 });
  await inbox.client.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), {
    qos: 1,
    properties: { responseTopic: replyTopic, correlationData: Buffer.from(correlation) },
  });
  const reply = await inbox.take(replyTopic);
  expect(reply.packet.properties?.correlationData?.toString()).toBe(correlation);
  return MqttInbox.json<ReplyBody>(reply);
}

describe('VSOA publishes out', () => {
  it('go to <prefix><url> as JSON, reliable ones at QoS 1, quick ones at QoS 0', async () => {
    const car = await carServer();
    await bridgeTo(car.url);
    const inbox = await outsider();
    await inbox.client.subscribeAsync('vsoa/car/#', { qos: 2 });
    car.server.publish('/sensor/speed', { param: { kmh: 42 } });
    car.server.publish('/sensor/yaw', { param: 0.25 }, { quick: true });
    const speed = await inbox.take('vsoa/car/sensor/speed');
    expect(MqttInbox.json(speed)).toEqual({ kmh: 42 });
    expect(speed.packet.qos).toBe(1);
    expect(speed.packet.properties?.contentType).toBe('application/json');
    const yaw = await inbox.take('vsoa/car/sensor/yaw');
    expect(MqttInbox.json(yaw)).toBe(0.25);
    expect(yaw.packet.qos).toBe(0);
  });

  it('carry binary data in a base64 envelope, marked by its content type', async () => {
    const car = await carServer();
    await bridgeTo(car.url, { BRIDGE_TOPIC_PREFIX: 'fleet/7' });
    const inbox = await outsider();
    await inbox.client.subscribeAsync('fleet/7/#', { qos: 1 });
    car.server.publish('/camera/frame', { param: { seq: 9 }, data: Buffer.from([1, 2, 3, 250]) });
    const frame = await inbox.take('fleet/7/camera/frame');
    expect(frame.packet.properties?.contentType).toBe(ENVELOPE_CONTENT_TYPE);
    const envelope = MqttInbox.json<{ param: unknown; data: string }>(frame);
    expect(envelope.param).toEqual({ seq: 9 });
    expect([...Buffer.from(envelope.data, 'base64')]).toEqual([1, 2, 3, 250]);
  });

  it('only from the subscribed URLs, and never onto the request topics', async () => {
    const car = await carServer();
    const bridge = await bridgeTo(car.url, { BRIDGE_SUBSCRIBE: '/sensor/,/rpc/' });
    const inbox = await outsider();
    await inbox.client.subscribeAsync('vsoa/car/#', { qos: 1 });
    car.server.publish('/light', { param: { on: true } });
    car.server.publish('/rpc/light', { param: { method: 'SET', param: { on: true } } });
    car.server.publish('/sensor/last', { param: 1 });
    // Published in this order over one link: once the last is out, the others would be too.
    await inbox.take('vsoa/car/sensor/last');
    expect(inbox.peek('vsoa/car/light')).toEqual([]);
    expect(inbox.peek('vsoa/car/rpc/light')).toEqual([]);
    expect(bridge.app.get(BridgeCounters).out).toMatchObject({ received: 2, skipped: 1, published: 1 });
  });
});

describe('MQTT requests in', () => {
  it('an MQTT 5 request gets the VSOA reply on its response topic, with its correlation data', async () => {
    const car = await carServer();
    await bridgeTo(car.url);
    const inbox = await outsider();
    expect(await request(inbox, 'vsoa/car/rpc/light', { method: 'SET', param: { on: true } }, 'a1')).toEqual({
      status: 0,
      param: { on: true },
    });
    expect(await request(inbox, 'vsoa/car/rpc/light', { method: 'get' }, 'a2')).toEqual({ status: 0, param: { on: true } });
    const frame = await request(inbox, 'vsoa/car/rpc/camera/frame', {}, 'a3');
    expect([...Buffer.from(frame.data!, 'base64')]).toEqual([0, 1, 254, 255]);
  });

  it("passes the server's own statuses through: unknown URL, application status", async () => {
    const car = await carServer();
    await bridgeTo(car.url);
    const inbox = await outsider();
    expect((await request(inbox, 'vsoa/car/rpc/nothing/here', {}, 'b1')).status).toBe(3);
    expect(await request(inbox, 'vsoa/car/rpc/locked', { method: 'SET' }, 'b2')).toEqual({ status: 130, param: { error: 'door locked' } });
  });

  it('answers what it cannot read with status 2 and the reason, and goes on', async () => {
    const car = await carServer();
    const bridge = await bridgeTo(car.url);
    const inbox = await outsider();
    expect(await request(inbox, 'vsoa/car/rpc/light', 'not json', 'c1')).toMatchObject({
      status: 2,
      error: expect.stringMatching(/not JSON/),
    });
    expect(await request(inbox, 'vsoa/car/rpc/light', { method: 'PUT' }, 'c2')).toMatchObject({
      status: 2,
      error: expect.stringMatching(/PUT/),
    });
    expect(await request(inbox, 'vsoa/car/rpc/light', { data: 'no base64!' }, 'c3')).toMatchObject({
      status: 2,
      error: expect.stringMatching(/base64/),
    });
    expect((await request(inbox, 'vsoa/car/rpc/light', {}, 'c4')).status).toBe(0);
    expect(bridge.app.get(BridgeCounters).in).toMatchObject({ rpcRequests: 4, rejected: 3, rpcSucceeded: 1 });
  });

  it('refuses what no VSOA packet could carry, and never takes in a message over 1 MiB', async () => {
    const car = await carServer();
    const bridge = await bridgeTo(car.url);
    const inbox = await outsider();
    const tooLarge = await request(inbox, 'vsoa/car/rpc/light', { method: 'SET', data: Buffer.alloc(300 * 1024).toString('base64') }, 'h1');
    expect(tooLarge).toMatchObject({ status: 2, error: expect.stringMatching(/exceeds/) });
    await inbox.client.publishAsync('vsoa/car/rpc/light', JSON.stringify({ param: 'x'.repeat(2 * MAX_REQUEST_PACKET) }), { qos: 1 });
    expect((await request(inbox, 'vsoa/car/rpc/light', {}, 'h2')).status).toBe(0);
    // The broker kept the huge one from the bridge: only the two above reached it.
    expect(bridge.app.get(BridgeCounters).in.rpcRequests).toBe(2);
  });

  it('an MQTT 3.1.1 request is answered on <prefix>/reply<url>, its id echoed', async () => {
    const car = await carServer();
    await bridgeTo(car.url);
    const inbox = await outsider({ protocolVersion: 4 });
    await inbox.client.subscribeAsync('vsoa/car/reply/#', { qos: 1 });
    await inbox.client.publishAsync('vsoa/car/rpc/light', JSON.stringify({ method: 'SET', param: { on: true }, id: 17 }), { qos: 1 });
    expect(MqttInbox.json(await inbox.take('vsoa/car/reply/light'))).toEqual({ status: 0, param: { on: true }, id: 17 });
  });

  it('a message on <prefix>/datagram<url> becomes a datagram, with data from an envelope', async () => {
    const car = await carServer();
    const bridge = await bridgeTo(car.url);
    const inbox = await outsider();
    await inbox.client.publishAsync('vsoa/car/datagram/sensor/door', JSON.stringify({ open: true }), { qos: 1 });
    const envelope = JSON.stringify({ param: 'frame', data: Buffer.from([9, 8, 7]).toString('base64') });
    await inbox.client.publishAsync('vsoa/car/datagram/sensor/cam', envelope, {
      qos: 1,
      properties: { contentType: ENVELOPE_CONTENT_TYPE },
    });
    // An RPC behind them on the same link: its reply means both datagrams have arrived.
    await request(inbox, 'vsoa/car/rpc/light', {}, 'd1');
    expect(car.datagrams.map(([url, payload]) => [url, payload.param, payload.data && [...payload.data]])).toEqual([
      ['/sensor/door', { open: true }, undefined],
      ['/sensor/cam', 'frame', [9, 8, 7]],
    ]);
    expect(bridge.app.get(BridgeCounters).in.datagrams).toBe(2);
  });
});

describe('faults', () => {
  it('while the VSOA server is away a request is answered with status 7 at once; the robot relinks', async () => {
    const car = await carServer();
    const port = car.server.address()!.port;
    const bridge = await bridgeTo(car.url);
    const inbox = await outsider();
    const link = bridge.app.get(VsoaLink);
    const away = firstValueFrom(link.client.status.pipe(filter((status) => status === VsoaClientStatus.RECONNECTING)));
    await car.server.close();
    await away;
    const refused = await request(inbox, 'vsoa/car/rpc/light', {}, 'e1');
    expect(refused).toMatchObject({ status: 7, error: expect.stringMatching(/not linked/) });
    const back = nextEvent(link, 'subscribed', (url) => url === '/');
    const again = await carServer(port);
    await back;
    expect((await request(inbox, 'vsoa/car/rpc/light', {}, 'e2')).status).toBe(0);
    again.server.publish('/light', { param: { on: false } });
    await inbox.client.subscribeAsync('vsoa/car/light', { qos: 1 });
    again.server.publish('/light', { param: { on: true } });
    expect(MqttInbox.json(await inbox.take('vsoa/car/light'))).toEqual({ on: true });
    const health = await fetch(`${bridge.httpUrl}/health`);
    expect(health.status).toBe(200);
  });

  it('while the broker is down publishes wait within the bound, the oldest dropped, and flow again when it is back', async () => {
    const car = await carServer();
    const bridge = await bridgeTo(car.url, { BRIDGE_BUFFER: '3' });
    // A persistent 3.1.1 session: the broker keeps its subscription (and what arrives for it) over the restart.
    const watcher = await outsider({ protocolVersion: 4, clean: false, clientId: `watcher-${process.pid}` });
    await watcher.client.subscribeAsync('vsoa/car/odometer', { qos: 1 });
    const mqtt = bridge.app.get<ClientMqtt>(BRIDGE_MQTT);
    const outbox = bridge.app.get(MqttOutbox);
    const counters = bridge.app.get(BridgeCounters);
    const lost = firstValueFrom(mqtt.status.pipe(filter((status) => status !== 'connected')));
    await broker.halt();
    await lost;
    const health = await fetch(`${bridge.httpUrl}/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { error: Record<string, unknown> }).error).toHaveProperty('mqtt');
    const twoDropped = nextEvent(outbox, 'dropped', () => counters.out.dropped === 2);
    for (let km = 1; km <= 5; km++) car.server.publish('/odometer', { param: km });
    await twoDropped;
    expect(counters.out).toMatchObject({ received: 5, buffered: 3, dropped: 2 });
    const flushed = nextEvent(outbox, 'flushed');
    await broker.resume();
    expect(await flushed).toEqual([3]);
    const seen = [
      await watcher.take('vsoa/car/odometer'),
      await watcher.take('vsoa/car/odometer'),
      await watcher.take('vsoa/car/odometer'),
    ];
    expect(seen.map((message) => MqttInbox.json(message))).toEqual([3, 4, 5]);
    // Requests flow again too, once Nest's MQTT server has subscribed anew.
    await broker.subscribed('vsoa/car/rpc/#');
    const inbox = await outsider();
    expect((await request(inbox, 'vsoa/car/rpc/light', {}, 'f1')).status).toBe(0);
    const report = (await (await fetch(`${bridge.httpUrl}/counters`)).json()) as Record<string, unknown>;
    expect(report).toMatchObject({ prefix: 'vsoa/car', mqtt: { linked: true }, vsoa: { linked: true }, out: { dropped: 2, buffered: 0 } });
  });

  it('two bridges in one share group answer each request once between them', async () => {
    const car = await carServer();
    const first = await bridgeTo(car.url, { BRIDGE_SHARE_GROUP: 'car-bridges', BRIDGE_SUBSCRIBE: '/none' });
    const second = await bridgeTo(car.url, { BRIDGE_SHARE_GROUP: 'car-bridges', BRIDGE_SUBSCRIBE: '/none' });
    const inbox = await outsider();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, n) => request(inbox, 'vsoa/car/rpc/light', {}, `g${n}`)));
    expect(replies.every((reply) => reply.status === 0)).toBe(true);
    const handled = [first, second].map((bridge) => bridge.app.get(BridgeCounters).in.rpcRequests);
    expect(handled[0] + handled[1]).toBe(20);
    expect(Math.min(...handled)).toBeGreaterThan(0);
  });
});
