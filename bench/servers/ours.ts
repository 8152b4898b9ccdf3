/** Our VsoaServer with the bench's commands. */
import { VsoaServer } from '@vsoa/core';
import { answerStats, fail, maxRss, pumpZeros, tell, yieldLoop } from '../child';

async function main(): Promise<void> {
  const server = new VsoaServer({ info: { name: 'bench' }, maxQueuedBytes: 256 * 1024 * 1024, sendTimeout: 30_000 });
  let datagrams = 0;
  server.on('datagram', () => datagrams++);
  server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
  server.command('/bench/count', (cli, req) => {
    cli.reply(req.seqno, { param: { count: datagrams } });
    datagrams = 0;
  });
  server.command('/bench/stats', (cli, req) => cli.reply(req.seqno, { param: { rss: process.memoryUsage().rss, maxRss: maxRss() } }));
  server.command('/bench/publish', async (cli, req, payload) => {
    const { n, quick } = payload.param as { n: number; quick: boolean };
    const message = { param: { a: 1 } };
    for (let i = 0; i < n; i++) {
      server.publish('/bench/pub', message, { quick });
      if (i % 256 === 255) await yieldLoop();
    }
    cli.reply(req.seqno, { param: { sent: n } });
  });
  server.command('/bench/stream', async (cli, req, payload) => {
    const { bytes } = payload.param as { bytes: number };
    const stream = await server.createStream({ client: cli });
    cli.reply(req.seqno, undefined, { tunid: stream.tunid });
    stream.once('connect', () => pumpZeros(stream, bytes));
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  answerStats();
  tell({ type: 'ready', port: server.address()!.port });
}

main().catch(fail);
