// examples/seed/robot-client.ts — the seed's client in robot mode, ported line by line.
// Run (with the echo server up): npm run build && node dist/examples/seed/robot-client.js
import { setTimeout as sleep } from 'node:timers/promises';
import { VsoaClient, VsoaError } from '@vsoa/core';

export async function robotClient(
  url = 'vsoa://127.0.0.1:3005',
  passwd = '',
  rounds = Infinity,
  interval = 1000,
  print = console.log,
): Promise<void> {
  const client = new VsoaClient(); // client = vsoa.Client()

  // def onconnect(client, conn, info): print('Connected, server info:', info) if conn else print('disconnected')
  client.on('connect', (info) => print('Connected, server info:', info));
  client.on('disconnect', () => print('disconnected'));

  client.robot(url, { passwd }); // client.robot('vsoa://127.0.0.1:3005', '123456'): no thread, Node's loop runs it

  for (let round = 0; round < rounds; round++) {
    // while True:
    await sleep(interval); //   time.sleep(1)
    try {
      // header, payload, errcode = client.fetch('/echo', payload={'param': {'a': 3}})
      const reply = await client.fetch('/echo', { payload: { param: { a: 3 } } });
      print({ status: reply.status, seqno: reply.seqno, tunid: reply.tunid }, reply.payload); // print(dict(header), dict(payload))
    } catch (error) {
      print('fetch error:', (error as VsoaError).code); // print('fetch error:', errcode): a code string here
    }
  }
  await client.close();
}

if (require.main === module) void robotClient(process.argv[2], process.argv[3]);
