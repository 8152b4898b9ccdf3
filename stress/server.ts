/** Our VsoaServer under test, in its own process (started by lib/server-process.ts). */
import { VsoaServer } from '@vsoa/core';
import { readConfig, ServerHost } from './lib/server-host';

async function main(): Promise<void> {
  const config = readConfig();
  // Warnings go to stderr, where the driver counts them as log lines (the library rate-limits them).
  const server = new VsoaServer({
    info: { name: 'stress' },
    passwd: config.passwd,
    logger: { debug: () => undefined, warn: (message) => console.error(message) },
  });
  const host = new ServerHost({
    publish: (url, param, data) => server.publish(url, { param, data }),
    counters: () => Object.fromEntries(Object.entries(server.counters)),
    clients: () => server.count,
  });
  server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
  server.command('/slow', () => undefined); // never answered: calls stay in flight
  server.on('datagram', (_cli, url) => host.datagram(url));
  await server.listen({ host: config.host, port: config.port });
  const port = server.address()?.port ?? 0;
  host.ready(port, port);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
