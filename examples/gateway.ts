/**
 * A gateway: one VSOA endpoint in front of a "car" service, routed by URL prefix. Calls,
 * subscriptions and publishes under /car go to the car server with /car stripped.
 * Run: npm run build && node dist/examples/gateway.js
 */
import { once } from 'node:events';
import { VsoaClient, VsoaProxy, VsoaServer } from '@vsoa/core';

export async function main(): Promise<string[]> {
  const seen: string[] = [];
  const car = new VsoaServer({ info: { name: 'car' } });
  car.command('/speed', (cli, req) => cli.reply(req.seqno, { param: { kmh: 88 } }));
  car.on('client', (cli, connected) => {
    if (connected) cli.on('subscribe', () => car.publish('/doors', { param: { locked: true } }));
  });
  await car.listen({ host: '127.0.0.1', port: 0 });

  const gateway = new VsoaProxy({ info: { name: 'gateway' } });
  gateway.add('/car', `vsoa://127.0.0.1:${car.address()!.port}`); // a vsoa://name works too
  await gateway.listen({ host: '127.0.0.1', port: 0 });
  const link = gateway.upstream('/car')!;
  if (!link.connected) await once(link, 'connect');

  const client = new VsoaClient();
  await client.connect(`vsoa://127.0.0.1:${gateway.address()!.port}`);
  const reply = await client.fetch('/car/speed'); // reaches the car as /speed
  seen.push(`/car/speed -> ${JSON.stringify(reply.payload.param)}`);
  const message = once(client, 'message');
  await client.subscribe('/car/doors'); // the gateway subscribes the car to /doors
  const [url, payload] = (await message) as [string, { param: unknown }];
  seen.push(`${url} <- ${JSON.stringify(payload.param)}`);

  await client.close();
  await gateway.close();
  await car.close();
  return seen;
}

if (require.main === module) {
  main().then((seen) => console.log(seen.join('\n')));
}
