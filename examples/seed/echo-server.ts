// examples/seed/echo-server.ts — the seed's echo server, ported line by line.
// Run: npm run build && node dist/examples/seed/echo-server.js
import { VsoaServer } from '@vsoa/core';

export async function echoServer(host = '0.0.0.0', port = 3005): Promise<VsoaServer> {
  const server = new VsoaServer({ info: 'VSOA python server' }); // server = vsoa.Server('VSOA python server')

  // @server.command('/echo')
  // def echo(cli, request, payload):
  server.command('/echo', (cli, request, payload) => {
    cli.reply(request.seqno, payload); //     cli.reply(request.seqno, payload)
  });

  await server.listen({ host, port }); // server.run('0.0.0.0', 3005); listen() returns once listening
  return server;
}

if (require.main === module) void echoServer();
