import { readBridgeConfig } from './bridge-config';

describe('readBridgeConfig', () => {
  it('defaults to the demo on its port, a local broker, everything subscribed, QoS 1 (quick 0)', () => {
    expect(readBridgeConfig({})).toMatchObject({
      vsoaUrl: 'vsoa://127.0.0.1:3005',
      mqttUrl: 'mqtt://127.0.0.1:1883',
      subscribe: ['/'],
      topicPrefix: undefined,
      qos: 1,
      quickQos: 0,
      retain: false,
      buffer: 1000,
    });
  });

  it('reads lists, numbers and flags', () => {
    const config = readBridgeConfig({
      BRIDGE_SUBSCRIBE: ' /light , /sensor/ ',
      BRIDGE_TOPIC_PREFIX: 'fleet/car-7/',
      BRIDGE_QOS: '2',
      BRIDGE_RETAIN: 'true',
      BRIDGE_BUFFER: '0',
      BRIDGE_SHARE_GROUP: 'bridges',
    });
    expect(config).toMatchObject({
      subscribe: ['/light', '/sensor/'],
      topicPrefix: 'fleet/car-7',
      qos: 2,
      retain: true,
      buffer: 0,
      shareGroup: 'bridges',
    });
  });

  it.each([
    [{ BRIDGE_SUBSCRIBE: 'light' }, /BRIDGE_SUBSCRIBE.*not a VSOA URL/],
    [{ BRIDGE_SUBSCRIBE: ' , ' }, /at least one/],
    [{ BRIDGE_TOPIC_PREFIX: 'vsoa/+' }, /BRIDGE_TOPIC_PREFIX/],
    [{ BRIDGE_TOPIC_PREFIX: '$SYS/x' }, /BRIDGE_TOPIC_PREFIX/],
    [{ BRIDGE_QOS: '3' }, /not an MQTT QoS/],
    [{ BRIDGE_BUFFER: 'lots' }, /BRIDGE_BUFFER.*whole number/],
    [{ BRIDGE_RETAIN: 'maybe' }, /BRIDGE_RETAIN/],
    [{ BRIDGE_SHARE_GROUP: 'a/b' }, /one topic level/],
  ])('refuses %j, naming the setting', (env, message) => {
    expect(() => readBridgeConfig(env)).toThrow(message);
  });
});
