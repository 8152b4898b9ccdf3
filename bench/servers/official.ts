/** The official `vsoa` package's server with the bench's commands. */
import * as vsoa from 'vsoa';
import { answerStats, fail, freePort, maxRss, pumpZeros, tell, yieldLoop } from '../child';

async function main(): Promise<void> {
  const server = new vsoa.Server({ info: { name: 'bench' } });
  let datagrams = 0;
  server.ondata = () => datagrams++;
  server.on('/echo', (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc, payload: vsoa.VsoaPayload) => cli.reply(0, req.seqno, payload));
  server.on('/bench/count', (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc) => {
    cli.reply(0, req.seqno, { param: { count: datagrams } });
    datagrams = 0;
  });
  server.on('/bench/stats', (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc) =>
    cli.reply(0, req.seqno, { param: { rss: process.memoryUsage().rss, maxRss: maxRss() } }),
  );
  server.on('/bench/publish', async (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc, payload: vsoa.VsoaPayload) => {
    const { n, quick } = payload.param as { n: number; quick: boolean };
    const message = { param: { a: 1 } };
    for (let i = 0; i < n; i++) {
      server.publish('/bench/pub', message, quick);
      if (i % 256 === 255) await yieldLoop();
    }
    cli.reply(0, req.seqno, { param: { sent: n } });
  });
  server.on('/bench/stream', (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc, payload: vsoa.VsoaPayload) => {
    const { bytes } = payload.param as { bytes: number };
    const stream = server.createStream(10_000);
    cli.reply(0, req.seqno, stream.tunid);
    stream.once('connect', () => pumpZeros(stream, bytes));
  });
  // A fixed port: started on port 0 it puts its UDP socket on another port, which its own client
  // never learns, and every quick publish is lost.
  const port = await freePort();
  await new Promise<void>((resolve, reject) =>
    server.start({ domain: vsoa.AF_INET, addr: '127.0.0.1', port }, undefined, (error?: Error) => (error ? reject(error) : resolve())),
  );
  answerStats();
  tell({ type: 'ready', port: server.address()!.port });
}

main().catch(fail);
