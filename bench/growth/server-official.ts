/** The growth server on the official `vsoa` package's Server, with its default options. */
import * as vsoa from 'vsoa';
import { freePort } from '../child';
import { CALLED_PREFIX } from './messages';
import { serve } from './server';

serve(async (job, onCall) => {
  const server = new vsoa.Server({ info: { name: 'growth' } });
  const start = performance.now();
  for (let i = 0; i < job.commands; i++) {
    server.on(`/cmd/${i}/`, (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc) => cli.reply(0, req.seqno));
  }
  const registerMs = performance.now() - start;
  server.on(CALLED_PREFIX, (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc) => {
    onCall();
    cli.reply(0, req.seqno);
  });
  // A fixed port, as in bench/servers/official.ts: on port 0 its UDP socket lands elsewhere.
  const port = await freePort();
  await new Promise<void>((resolve, reject) =>
    server.start({ domain: vsoa.AF_INET, addr: '127.0.0.1', port }, undefined, (error?: Error) => (error ? reject(error) : resolve())),
  );
  return { port, registerMs, publish: (url, payload) => server.publish(url, payload), count: () => server.count() };
});
