// examples/seed/stream.ts — the seed's stream example, both sides, ported line by line.
// Run: npm run build && node dist/examples/seed/stream.js README.md copy.md
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { VsoaClient, VsoaServer } from '@vsoa/core';

/** The server side: '/get_data' answers with a stream tunnel that carries `file`. */
export async function streamServer(file: string, host = '0.0.0.0', port = 3005, print = console.log): Promise<VsoaServer> {
  const server = new VsoaServer({ info: 'VSOA stream server' });

  // @server.command('/get_data')
  server.command('/get_data', async (cli, request) => {
    const stream = await server.createStream({ client: cli }); // stream = server.create_stream(onlink, ondata): waits 5 s

    // def onlink(stream, conn): if conn: stream.send(open('file').read())
    stream.on('connect', () => void pipeline(createReadStream(file), stream).catch(() => stream.destroy()));
    // def ondata(stream, data): print('Received:', len(data))
    stream.on('data', (data: Buffer) => print('Received:', data.length));

    cli.reply(request.seqno, undefined, { tunid: stream.tunid }); // cli.reply(request.seqno, tunid=stream.tunid)
  });

  await server.listen({ host, port });
  return server;
}

/** The client side: fetches '/get_data' and writes what the tunnel carries to `file`. */
export async function streamClient(url: string, file: string): Promise<void> {
  const client = new VsoaClient(); // client = vsoa.Client()
  await client.connect(url); // client.robot(…) in the seed; connect() waits for the link before the fetch

  const reply = await client.fetch('/get_data'); // header, payload, _ = client.fetch('/get_data')
  if (reply.tunid > 0) {
    // if header and header.tunid > 0:
    const stream = client.createStream(reply.tunid); //   client.create_stream(header.tunid, onlink, ondata)
    // onlink opens the file, ondata writes each chunk, onlink(False) closes it: one pipeline
    await pipeline(stream, createWriteStream(file));
  }
  await client.close();
}

if (require.main === module) {
  void streamServer(process.argv[2]).then(async (server) => {
    await streamClient(`vsoa://127.0.0.1:${server.address()!.port}`, process.argv[3]);
    await server.close();
  });
}
