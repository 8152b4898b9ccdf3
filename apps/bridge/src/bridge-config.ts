import { isValidUrl } from '@vsoa/core';

/** MQTT quality of service of the messages the bridge sends. */
export type MqttQos = 0 | 1 | 2;

/** What the bridge links and how: read from the environment by `readBridgeConfig`. */
export interface BridgeConfig {
  /** The VSOA server: `vsoa://host:port` or `vsoa://name`. */
  vsoaUrl: string;
  vsoaPasswd?: string;
  /** The broker: `mqtt://[user:password@]host:port` (also `mqtts://`, `ws://`). */
  mqttUrl: string;
  /** VSOA URLs or prefixes whose publishes go out to the broker. */
  subscribe: string[];
  /** Topic prefix; undefined: `vsoa/<the server's info name>`, learnt when it first answers. */
  topicPrefix?: string;
  /** QoS of publishes and replies sent to the broker. */
  qos: MqttQos;
  /** QoS of quick (UDP) publishes, which VSOA itself may lose. */
  quickQos: MqttQos;
  /** Send publishes retained, so that a new subscriber gets the last state at once. */
  retain: boolean;
  /** Messages kept while the broker is unreachable; beyond it the oldest are dropped. */
  buffer: number;
  /** Share the request topics among the bridges of one group (`$share/<group>/…`). */
  shareGroup?: string;
  /** Reply timeout of an RPC made for an MQTT request (ms). */
  rpcTimeout: number;
  /** RPCs in flight at once; a request beyond it is answered NO_MEMORY. */
  maxPending: number;
  /** Delay between attempts to reach the broker again (ms). */
  mqttReconnect: number;
  httpHost: string;
  /** HTTP port of /health and /counters (0: any free port). */
  httpPort: number;
}

/** A setting that cannot be used; the message says which and what is expected. */
export class BridgeConfigError extends Error {
  readonly code = 'BRIDGE_CONFIG';
}

/** The bridge's settings from `BRIDGE_*` variables, checked; the defaults link the demo to a local broker. */
export function readBridgeConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const subscribe = (env.BRIDGE_SUBSCRIBE ?? '/')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  for (const url of subscribe) {
    if (!isValidUrl(url)) throw new BridgeConfigError(`BRIDGE_SUBSCRIBE: ${JSON.stringify(url)} is not a VSOA URL (they start with /)`);
  }
  if (subscribe.length === 0)
    throw new BridgeConfigError('BRIDGE_SUBSCRIBE: give at least one VSOA URL or prefix, e.g. / or /light,/sensor/');
  return {
    vsoaUrl: env.BRIDGE_VSOA_URL || 'vsoa://127.0.0.1:3005',
    vsoaPasswd: env.BRIDGE_VSOA_PASSWD || undefined,
    mqttUrl: env.BRIDGE_MQTT_URL || 'mqtt://127.0.0.1:1883',
    subscribe,
    topicPrefix: env.BRIDGE_TOPIC_PREFIX ? checkTopicPrefix(env.BRIDGE_TOPIC_PREFIX) : undefined,
    qos: qosOf(env, 'BRIDGE_QOS', 1),
    quickQos: qosOf(env, 'BRIDGE_QUICK_QOS', 0),
    retain: flagOf(env, 'BRIDGE_RETAIN'),
    buffer: integerOf(env, 'BRIDGE_BUFFER', 1000, 0),
    shareGroup: env.BRIDGE_SHARE_GROUP ? checkTopicLevel('BRIDGE_SHARE_GROUP', env.BRIDGE_SHARE_GROUP) : undefined,
    rpcTimeout: integerOf(env, 'BRIDGE_RPC_TIMEOUT', 10_000, 1),
    maxPending: integerOf(env, 'BRIDGE_MAX_PENDING', 1024, 1),
    mqttReconnect: integerOf(env, 'BRIDGE_MQTT_RECONNECT', 1000, 10),
    httpHost: env.BRIDGE_HTTP_HOST || '127.0.0.1',
    httpPort: integerOf(env, 'BRIDGE_HTTP_PORT', 3002, 0),
  };
}

/** A prefix is one or more topic levels without wildcards, not a broker's `$` topic; a trailing `/` is dropped. */
export function checkTopicPrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '' || /[+#\0]/.test(trimmed) || trimmed.startsWith('$')) {
    throw new BridgeConfigError(
      `BRIDGE_TOPIC_PREFIX: ${JSON.stringify(prefix)} must be topic levels without + # or a leading $, e.g. vsoa/car`,
    );
  }
  return trimmed;
}

function checkTopicLevel(name: string, value: string): string {
  if (/[/+#\0]/.test(value)) throw new BridgeConfigError(`${name}: ${JSON.stringify(value)} must be one topic level (no / + #)`);
  return value;
}

function integerOf(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new BridgeConfigError(`${name}: ${JSON.stringify(text)} must be a whole number ≥ ${min}`);
  return value;
}

function qosOf(env: NodeJS.ProcessEnv, name: string, fallback: MqttQos): MqttQos {
  const value = integerOf(env, name, fallback, 0);
  if (value > 2) throw new BridgeConfigError(`${name}: ${value} is not an MQTT QoS (0, 1 or 2)`);
  return value as MqttQos;
}

function flagOf(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = (env[name] ?? '').toLowerCase();
  if (['', '0', 'false', 'no'].includes(text)) return false;
  if (['1', 'true', 'yes'].includes(text)) return true;
  throw new BridgeConfigError(`${name}: ${JSON.stringify(env[name])} must be true or false`);
}
