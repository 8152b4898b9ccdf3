/**
 * Naming and fail-over: clients find 'lights' through a position server. When the primary dies
 * and the operator points the name at the standby, a robot client moves there by itself and
 * re-subscribes. Also: a one-shot fetch by name.
 * Run: npm run build && node dist/examples/naming.js
 */
import { fetch, PositionServer, setPositionServer, VsoaClient, VsoaServer } from '@vsoa/core';

async function lightsServer(name: string): Promise<VsoaServer> {
  const server = new VsoaServer({ info: { name } });
  server.command('/who', (cli, req) => cli.reply(req.seqno, { param: name }));
  // Greet every new subscriber with the current state, from this server.
  server.on('client', (cli, connected) => {
    if (connected) cli.on('subscribe', () => server.publish('/state', { param: { from: name } }));
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return server;
}

export async function main(): Promise<string[]> {
  const seen: string[] = [];
  const primary = await lightsServer('primary');
  const standby = await lightsServer('standby');

  // The position server: a table of names (an `onquery` callback can answer too).
  const position = new PositionServer({ table: { lights: { addr: '127.0.0.1', port: primary.address()!.port } } });
  await position.listen({ host: '127.0.0.1', port: 0 });
  // In code here; or VSOA_POS_SERVER=127.0.0.1:port, or /etc/vsoa.pos.
  setPositionServer('127.0.0.1', position.address()!.port);

  const once = await fetch('vsoa://lights/who');
  seen.push(`one-shot: ${String(once.payload.param)}`);

  const client = new VsoaClient();
  const moved = new Promise<void>((resolve) => {
    client.on('message', (_url, payload) => {
      const from = (payload.param as { from: string }).from;
      seen.push(`state from ${from}`);
      if (from === 'standby') resolve();
    });
  });
  client.robot('vsoa://lights', { reconnDelay: 100 }); // the name is looked up before every connect
  await new Promise((resolve) => client.once('connect', resolve));
  await client.subscribe('/state');

  // Fail-over: the name now points at the standby, and the primary goes away.
  position.set('lights', { addr: '127.0.0.1', port: standby.address()!.port });
  await primary.close();
  await moved;

  await client.close();
  await standby.close();
  await position.close();
  setPositionServer(null);
  return seen;
}

if (require.main === module) {
  main().then((seen) => console.log(seen.join('\n')));
}
