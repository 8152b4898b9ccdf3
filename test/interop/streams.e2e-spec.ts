/**
 * Stream tunnels between our library and the official `vsoa` package, both directions:
 * an RPC reply announces the tunnel (TUNNEL flag, tunid = port), the client connects to it, and
 * bytes flow raw both ways. Each transfer is checked by SHA-256.
 */
import { once } from 'node:events';
import * as vsoa from 'vsoa';
import { VsoaClient, VsoaServer, VsoaServerStream } from '@vsoa/core';
import { readDigest, writeRandom } from '../helpers/stream-data';
import { closeOfficial, startOfficial } from '../helpers/official-server';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
const WAIT_MS = 5000;
const SIZE = 8 * 1024 * 1024;

const teardowns = teardownsAfterEach();

describe('streams: official server, our client', () => {
  let port: number;
  /** What the official server's stream received from us, per test. */
  let uploaded: Promise<{ bytes: number; sha256: string }>;
  /** What it sent us. */
  let downloaded: Promise<{ bytes: number; sha256: string }>;

  beforeEach(async () => {
    const server = new vsoa.Server({ info: { name: 'official' } });
    server.on('error', () => undefined);
    server.onclient = () => undefined;
    // '/download' sends SIZE random bytes; '/upload' reads until we end.
    server.on('/download', (cli: vsoa.RemoteClient, request: vsoa.VsoaRpc) => {
      const stream = server.createStream(WAIT_MS);
      cli.reply(0, request.seqno, stream.tunid);
      downloaded = once(stream, 'connect').then(() => writeRandom(stream, SIZE));
    });
    server.on('/upload', (cli: vsoa.RemoteClient, request: vsoa.VsoaRpc) => {
      const stream = server.createStream(WAIT_MS);
      cli.reply(0, request.seqno, stream.tunid);
      uploaded = readDigest(stream);
    });
    await startOfficial(server);
    teardowns.push(() => closeOfficial(server));
    port = server.address()!.port;
  });

  async function ourClient(): Promise<VsoaClient> {
    const client = new VsoaClient({ timeout: WAIT_MS });
    teardowns.push(() => client.close());
    await client.connect(`vsoa://${HOST}:${port}`);
    return client;
  }

  it('downloads through a tunnel the official server announced', async () => {
    const client = await ourClient();
    const reply = await client.fetch('/download');
    expect(reply.status).toBe(0);
    expect(reply.tunid).toBeGreaterThan(0);
    const stream = client.createStream(reply.tunid);
    teardowns.push(() => stream.destroy());
    const got = await readDigest(stream);
    expect(got).toEqual(await downloaded);
  });

  it('uploads through a tunnel the official server announced', async () => {
    const client = await ourClient();
    const reply = await client.fetch('/upload');
    const stream = client.createStream(reply.tunid);
    teardowns.push(() => stream.destroy());
    await once(stream, 'connect');
    const sent = await writeRandom(stream, SIZE);
    expect(await uploaded).toEqual(sent);
  });
});

describe('streams: our server, official client', () => {
  let server: VsoaServer;
  let port: number;
  const opened: VsoaServerStream[] = [];

  beforeEach(async () => {
    server = new VsoaServer({ info: { name: 'ours' } });
    teardowns.push(() => server.close());
    server.command('/stream', async (cli, req) => {
      const stream = await server.createStream({ client: cli, timeout: WAIT_MS });
      opened.push(stream);
      cli.reply(req.seqno, undefined, { tunid: stream.tunid });
    });
    await server.listen({ host: HOST, port: 0 });
    port = server.address()!.port;
  });

  /** Connects an official client, calls '/stream', and opens the official end of the tunnel. */
  async function officialTunnel(): Promise<{ theirs: vsoa.VsoaStream; ours: VsoaServerStream }> {
    const client = new vsoa.Client({});
    client.on('error', () => undefined);
    teardowns.push(() => client.close());
    await new Promise<void>((resolve, reject) =>
      client.connect(`vsoa://${HOST}:${port}`, (error?: Error) => (error ? reject(error) : resolve()), undefined, WAIT_MS),
    );
    const tunid = await new Promise<number>((resolve, reject) =>
      client.call(
        '/stream',
        { method: 'GET' },
        undefined,
        (error, _payload, tunid) => (error ? reject(error) : resolve(tunid ?? 0)),
        WAIT_MS,
      ),
    );
    expect(tunid).toBeGreaterThan(0);
    const ours = opened.splice(0)[0];
    expect(ours.tunid).toBe(tunid);
    const theirs = client.createStream(tunid, WAIT_MS);
    teardowns.push(() => theirs.destroy());
    await once(ours, 'connect');
    return { theirs, ours };
  }

  it('sends a file down to the official client', async () => {
    const { theirs, ours } = await officialTunnel();
    const [sent, got] = await Promise.all([writeRandom(ours, SIZE), readDigest(theirs)]);
    expect(got).toEqual(sent);
  });

  it('receives an upload from the official client', async () => {
    const { theirs, ours } = await officialTunnel();
    const [sent, got] = await Promise.all([writeRandom(theirs, SIZE), readDigest(ours)]);
    expect(got).toEqual(sent);
  });
});
