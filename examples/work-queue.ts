/**
 * Work queues: two commands that drive the same device run one call at a time, in arrival order,
 * even though their handlers are async.
 * Run: npm run build && node dist/examples/work-queue.js
 */
import { setTimeout as delay } from 'node:timers/promises';
import { VsoaClient, VsoaServer, WorkQueue } from '@vsoa/core';

export async function main(): Promise<string[]> {
  const log: string[] = [];
  const device = new WorkQueue();
  const server = new VsoaServer({ info: { name: 'device' } });
  for (const url of ['/move', '/home']) {
    server.command(
      url,
      async (cli, req, payload) => {
        log.push(`${url} ${String(payload.param)} start`);
        await delay(10); // the device is busy: nobody else may touch it meanwhile
        log.push(`${url} ${String(payload.param)} done`);
        cli.reply(req.seqno, { param: 'ok' });
      },
      { workQueue: device },
    );
  }
  await server.listen({ host: '127.0.0.1', port: 0 });

  const client = new VsoaClient();
  await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
  await Promise.all([
    client.fetch('/move', { method: 'SET', payload: { param: 1 } }),
    client.fetch('/home', { method: 'SET', payload: { param: 2 } }),
    client.fetch('/move', { method: 'SET', payload: { param: 3 } }),
  ]);
  await client.close();
  await server.close();
  return log;
}

if (require.main === module) {
  main().then((log) => console.log(log.join('\n')));
}
