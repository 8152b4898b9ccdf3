/**
 * TLS: a server with a certificate, a client that checks it against its CA, mutual
 * authentication, and a stream that is TLS too.
 * Run: npm run build && VSOA_TLS_DIR=./certs node dist/examples/tls.js
 * where ./certs holds ca.pem, server.pem, server.key, client.pem, client.key, e.g. made with
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=ca \
 *     -keyout ca.key -out ca.pem
 *   openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
 *     -addext subjectAltName=IP:127.0.0.1 -keyout server.key -out server.csr
 *   openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -days 1 -copy_extensions copy -out server.pem
 *   (and the same for client.key / client.pem with -subj /CN=my-client)
 */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { VsoaClient, VsoaServer } from '@vsoa/core';

export interface Pems {
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
}

export async function main(pems: Pems): Promise<{ serverSaw: string; clientSaw: string; streamed: string; encrypted: boolean }> {
  const server = new VsoaServer({ info: { name: 'secure' } });
  let serverSaw = '';
  server.on('client', (cli, connected) => {
    if (connected) serverSaw = String(cli.peerCertificate()?.subject.CN);
  });
  server.command('/hello', async (cli, req) => {
    const stream = await server.createStream({ client: cli }); // a TLS server makes TLS streams
    cli.reply(req.seqno, { param: 'hello over TLS' }, { tunid: stream.tunid });
    stream.end('a secret file');
  });
  await server.listen({
    host: '127.0.0.1',
    port: 0,
    // Mutual authentication: clients must present a certificate from our CA.
    tls: { key: pems.server.key, cert: pems.server.cert, ca: pems.ca, requestCert: true, rejectUnauthorized: true },
  });

  const client = new VsoaClient();
  await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`, {
    tls: { ca: pems.ca, key: pems.client.key, cert: pems.client.cert },
  });
  const clientSaw = String(client.peerCertificate()?.subject.CN);
  const reply = await client.fetch('/hello');
  const stream = client.createStream(reply.tunid);
  await once(stream, 'connect');
  const encrypted = stream.encrypted;
  let streamed = '';
  for await (const chunk of stream) streamed += String(chunk);
  await client.close();
  await server.close();
  return { serverSaw, clientSaw, streamed, encrypted };
}

if (require.main === module) {
  const dir = process.env.VSOA_TLS_DIR ?? 'certs';
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  main({
    ca: read('ca.pem'),
    server: { cert: read('server.pem'), key: read('server.key') },
    client: { cert: read('client.pem'), key: read('client.key') },
  }).then((result) => console.log(result));
}
