/** Our VsoaServer under test, in its own process (started by lib/server-process.ts). */
import { VsoaServer, WorkQueue } from '@vsoa/core';
import { readConfig, ServerHost } from './lib/server-host';

async function main(): Promise<void> {
  const config = readConfig();
  // Warnings go to stderr, where the driver counts them as log lines (the library rate-limits them).
  const server = new VsoaServer({
    info: { name: 'stress' },
    passwd: config.passwd,
    logger: { debug: () => undefined, warn: (message) => console.error(message) },
  });
  // A command on a work queue, whose jobs wait their turn: what a flood of calls could pile up.
  const queue = new WorkQueue();
  const host = new ServerHost({
    publish: (url, param, data) => server.publish(url, { param, data }),
    counters: () => ({ ...server.counters, queuedJobs: queue.size }),
    clients: () => server.count,
  });
  server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
  server.command('/slow', () => undefined); // never answered: calls stay in flight
  server.command('/queued', (cli, req) => new Promise<void>((resolve) => setImmediate(() => resolve(void cli.reply(req.seqno)))), {
    workQueue: queue,
  });
  server.on('datagram', (_cli, url) => host.datagram(url));
  await server.listen({ host: config.host, port: config.port, tls: config.tls });
  const port = server.address()?.port ?? 0;
  host.ready(port, port);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
