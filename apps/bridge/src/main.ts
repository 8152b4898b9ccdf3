import 'reflect-metadata';
import { BridgeConfigError, readBridgeConfig } from './bridge-config';
import { startBridge } from './bridge.app';
import { redactUrl } from './redact-url';
import { DATAGRAM_LEVEL, REPLY_LEVEL, RPC_LEVEL } from './topics';

/** The VSOA ⇄ MQTT bridge, configured by BRIDGE_* variables (see docs/bridge.md). */
async function main(): Promise<void> {
  const config = readBridgeConfig();
  const bridge = await startBridge(config);
  const { prefix } = bridge;
  const broker = brokerArguments(config.mqttUrl);
  console.log(`
VSOA ⇄ MQTT bridge: ${config.vsoaUrl}  ⇄  ${redactUrl(config.mqttUrl)}
  out: publishes under ${config.subscribe.join(', ')}  →  ${prefix}<url>   (e.g. ${prefix}/light)
  in:  ${prefix}/${RPC_LEVEL}<url>  {"method":"GET"|"SET","param":…}  →  reply on the v5 response topic, or ${prefix}/${REPLY_LEVEL}<url>
       ${prefix}/${DATAGRAM_LEVEL}<url>  param JSON  →  datagram
  ${bridge.httpUrl}/health   ${bridge.httpUrl}/counters
  npx mqtt sub${broker} -t '${prefix}/#' -v
  npx mqtt pub${broker} -t '${prefix}/${RPC_LEVEL}/light' -m '{"method":"GET"}'     (the reply comes on ${prefix}/${REPLY_LEVEL}/light)
`);
}

/** ` -h host -p port` for the mqtt CLI, when the broker is not its default (localhost:1883). */
function brokerArguments(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    const host = hostname === 'localhost' || hostname === '127.0.0.1' ? '' : ` -h ${hostname}`;
    return `${host}${port && port !== '1883' ? ` -p ${port}` : ''}`;
  } catch {
    return '';
  }
}

main().catch((error: Error) => {
  console.error(`bridge failed to start: ${error.message}`);
  if (!(error instanceof BridgeConfigError)) console.error('Is the VSOA server reachable? Settings: docs/bridge.md');
  process.exit(1);
});
