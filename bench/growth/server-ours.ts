/** The growth server on our VsoaServer, with its default options. */
import { VsoaServer } from '@vsoa/core';
import { CALLED_PREFIX } from './messages';
import { serve } from './server';

serve(async (job, onCall) => {
  const server = new VsoaServer({ info: { name: 'growth' } });
  const start = performance.now();
  for (let i = 0; i < job.commands; i++) server.command(`/cmd/${i}/`, (cli, req) => cli.reply(req.seqno));
  const registerMs = performance.now() - start;
  server.command(CALLED_PREFIX, (cli, req) => {
    onCall();
    cli.reply(req.seqno);
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    port: server.address()!.port,
    registerMs,
    publish: (url, payload) => void server.publish(url, payload),
    count: () => server.count,
  };
});
