/**
 * Streams: a client downloads a file through a stream tunnel announced in an RPC reply.
 * Run: npm run build && node dist/examples/stream-file.js [file]
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { VsoaClient, VsoaServer } from '@vsoa/core';

export async function main(file = __filename): Promise<{ bytes: number; sha256: string }> {
  const server = new VsoaServer({ info: { name: 'files' } });
  server.command('/file', async (cli, req) => {
    // The tunnel listens on the address this client reached us at and lets only this client in.
    const stream = await server.createStream({ client: cli, timeout: 5000 });
    cli.reply(req.seqno, { param: { file } }, { tunid: stream.tunid });
    await once(stream, 'connect');
    await pipeline(createReadStream(file), stream); // backpressure all the way
  });
  await server.listen({ host: '127.0.0.1', port: 0 });

  const client = new VsoaClient();
  await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
  const reply = await client.fetch('/file');
  const download = client.createStream(reply.tunid);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of download) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  await client.close();
  await server.close();
  return { bytes, sha256: hash.digest('hex') };
}

if (require.main === module) {
  main(process.argv[2]).then((result) => console.log('downloaded', result));
}
