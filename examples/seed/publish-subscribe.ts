// examples/seed/publish-subscribe.ts — the seed's publish and subscribe snippets, ported line by line.
// Run: npm run build && node dist/examples/seed/publish-subscribe.js
import { VsoaClient, VsoaServer } from '@vsoa/core';

/** Subscribes to '/topic1' and ['/topic2', '/topic3'] and prints what is published there. */
export async function subscriber(url: string, print = console.log): Promise<VsoaClient> {
  const client = new VsoaClient(); // client = vsoa.Client()
  // def onmessage(client, url, payload, quick): print('Msg received, url:', url, 'payload:', dict(payload), 'Q:', quick)
  client.on('message', (topic, payload, quick) => print('Msg received, url:', topic, 'payload:', payload, 'Q:', quick));
  await client.connect(url);
  await client.subscribe('/topic1'); // client.subscribe('/topic1')
  await client.subscribe(['/topic2', '/topic3']); // client.subscribe(['/topic2', '/topic3'])
  return client;
}

/** server.publish('/topic1', {'param': {'hello': 'hello'}, 'data': bytes([1, 2, 3])}) and friends. */
export function publishAll(server: VsoaServer): void {
  server.publish('/topic1', { param: { hello: 'hello' }, data: Buffer.from([1, 2, 3]) });
  server.publish('/topic2'); // server.publish('/a/b/c'): no payload
  server.publish('/topic3', { param: { hello: 'hello' } }, { quick: true }); // quick=True
}

if (require.main === module) {
  void (async () => {
    const server = new VsoaServer({ info: 'VSOA python server' });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const client = await subscriber(`vsoa://127.0.0.1:${server.address()!.port}`);
    publishAll(server);
    setTimeout(() => void client.close().then(() => server.close()), 200);
  })();
}
