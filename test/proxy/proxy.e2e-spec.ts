/**
 * VsoaProxy: one endpoint in front of upstream servers, routed by URL prefix. Our client and
 * the official one on the front, our server and the official one behind, real sockets.
 */
import { EventEmitter, once } from 'node:events';
import * as vsoa from 'vsoa';
import { VsoaClient, VsoaProxy, VsoaServer, VsoaStatus } from '@vsoa/core';
import type { RemoteClient } from '@vsoa/core';
import { nextEvent } from '../helpers/events';
import { closeOfficial, startOfficial } from '../helpers/official-server';
import { readDigest, writeRandom } from '../helpers/stream-data';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
const DATA = Buffer.from([0, 1, 2, 0xff]);
const teardowns = teardownsAfterEach();

/** An upstream that echoes raw param text (so we can see the bytes were not re-encoded). */
async function startUpstream(
  port = 0,
): Promise<{ server: VsoaServer; port: number; datagrams: Array<[string, unknown, boolean]>; calls: EventEmitter }> {
  const server = new VsoaServer({ info: { name: 'upstream' }, raw: true });
  const datagrams: Array<[string, unknown, boolean]> = [];
  /** Emits 'never' when the call that is never answered arrives. */
  const calls = new EventEmitter();
  server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
  server.command('/teapot', (cli, req) => cli.reply(req.seqno, { param: '"short and stout"' }, { status: 130 }));
  server.command('/where/', (cli, req) => cli.reply(req.seqno, { param: JSON.stringify({ url: req.url, method: req.method }) }));
  server.command('/never', () => void calls.emit('never'));
  server.command('/file', async (cli, req) => {
    const stream = await server.createStream({ client: cli });
    cli.reply(req.seqno, undefined, { tunid: stream.tunid });
    await once(stream, 'connect');
    await writeRandom(stream, 2 * 1024 * 1024);
  });
  server.on('datagram', (_cli, url, payload, quick) => datagrams.push([url, payload.param, quick]));
  await server.listen({ host: HOST, port });
  teardowns.push(() => server.close());
  return { server, port: server.address()!.port, datagrams, calls };
}

async function startProxy(upstreamPort: number): Promise<{ proxy: VsoaProxy; port: number }> {
  const proxy = new VsoaProxy({ info: { name: 'gateway' } });
  proxy.command('/local', (cli, req) => cli.reply(req.seqno, { param: 'served by the proxy' }));
  proxy.add('/car', `vsoa://${HOST}:${upstreamPort}`, { reconnDelay: 50, keepalive: 500, callTimeout: 3000 });
  teardowns.push(() => proxy.close());
  await proxy.listen({ host: HOST, port: 0 });
  // The first calls must not race the route's first upstream link.
  const link = proxy.upstream('/car')!;
  if (!link.connected) await once(link, 'connect');
  return { proxy, port: proxy.address()!.port };
}

async function ourClient(port: number): Promise<VsoaClient> {
  const client = new VsoaClient({ timeout: 5000 });
  teardowns.push(() => client.close());
  await client.connect(`vsoa://${HOST}:${port}`);
  return client;
}

describe('VsoaProxy', () => {
  it('forwards RPCs under the prefix with param bytes untouched, data and statuses through', async () => {
    const upstream = await startUpstream();
    const { port } = await startProxy(upstream.port);
    const client = await ourClient(port);
    // Odd spacing survives only if nobody parsed and re-encoded the param on the way.
    const raw = Buffer.from('{ "a" :1,  "b":[ 2 ] }');
    const echo = await client.fetch('/car/echo', { method: 'SET', payload: { param: raw, data: DATA } });
    expect(echo.status).toBe(0);
    expect(echo.payload.param).toEqual({ a: 1, b: [2] });
    expect(echo.payload.data).toEqual(DATA);
    const rawClient = new VsoaClient({ raw: true, timeout: 5000 });
    teardowns.push(() => rawClient.close());
    await rawClient.connect(`vsoa://${HOST}:${port}`);
    expect((await rawClient.fetch('/car/echo', { payload: { param: raw } })).payload.param).toBe(raw.toString());

    expect(await client.fetch('/car/teapot')).toMatchObject({ status: 130, payload: { param: 'short and stout' } });
    expect((await client.fetch('/car/where/deep', { method: 'SET' })).payload.param).toEqual({ url: '/where/deep', method: 'SET' });
    expect((await client.fetch('/car/nowhere')).status).toBe(VsoaStatus.INVALID_URL);
    expect((await client.fetch('/local')).payload.param).toBe('served by the proxy');
  });

  it('subscribes upstream to what its clients subscribe, and republishes under the prefix', async () => {
    const upstream = await startUpstream();
    const { port } = await startProxy(upstream.port);
    const client = await ourClient(port);
    const upstreamSubscribed = new Promise<string[]>((resolve) =>
      upstream.server.clients().forEach((cli: RemoteClient) => cli.once('subscribe', resolve)),
    );
    await client.subscribe('/car/speed');
    expect(await upstreamSubscribed).toEqual(['/speed']);
    expect(upstream.server.isSubscribed('/other')).toBe(false);
    const got = nextEvent(client, 'message');
    upstream.server.publish('/speed', { param: '42', data: DATA });
    const [url, payload] = await got;
    expect(url).toBe('/car/speed');
    expect(payload).toEqual({ param: 42, data: DATA });
    // The last subscriber gone, the upstream is unsubscribed too.
    const unsubscribed = nextEvent(upstream.server.clients()[0], 'unsubscribe');
    await client.unsubscribe('/car/speed');
    await unsubscribed;
    expect(upstream.server.isSubscribed('/speed')).toBe(false);
  });

  it('forwards datagrams, reliable and quick', async () => {
    const upstream = await startUpstream();
    const { port } = await startProxy(upstream.port);
    const client = await ourClient(port);
    const arrived = new Promise<void>((resolve) => upstream.server.on('datagram', () => upstream.datagrams.length === 2 && resolve()));
    client.datagram('/car/horn', { param: { long: true } });
    client.datagram('/car/blink', { param: 3 }, { quick: true });
    await arrived;
    expect(upstream.datagrams.sort()).toEqual([
      ['/blink', '3', true],
      ['/horn', '{"long":true}', false],
    ]);
  });

  it('bridges a stream an upstream reply opens', async () => {
    const upstream = await startUpstream();
    const { port } = await startProxy(upstream.port);
    const client = await ourClient(port);
    const reply = await client.fetch('/car/file');
    expect(reply.tunid).toBeGreaterThan(0);
    const got = await readDigest(client.createStream(reply.tunid));
    expect(got.bytes).toBe(2 * 1024 * 1024);
  });

  it('answers PROXY while the upstream is down — pending calls too — and recovers when it is back', async () => {
    const upstream = await startUpstream();
    const { proxy, port } = await startProxy(upstream.port);
    const client = await ourClient(port);
    // The call reaches the upstream, then the upstream dies.
    const arrived = once(upstream.calls, 'never');
    const pending = client.fetch('/car/never');
    await arrived;
    await upstream.server.close();
    expect((await pending).status).toBe(VsoaStatus.PROXY);
    const began = Date.now();
    expect((await client.fetch('/car/echo')).status).toBe(VsoaStatus.PROXY);
    expect(Date.now() - began).toBeLessThan(1000);
    // Back on the same port: the robot reconnects and calls go through again.
    const back = once(proxy.upstream('/car')!, 'connect');
    await startUpstream(upstream.port);
    await back;
    expect((await client.fetch('/car/echo', { payload: { param: 1 } })).status).toBe(0);
  });

  it('refuses a bad prefix and can delete a route', async () => {
    const upstream = await startUpstream();
    const { proxy, port } = await startProxy(upstream.port);
    expect(() => proxy.add('car', 'vsoa://127.0.0.1:1')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => proxy.add('/', 'vsoa://127.0.0.1:1')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(proxy.prefixes()).toEqual(['/car']);
    expect(proxy.delete('/car/')).toBe(true);
    const client = await ourClient(port);
    expect((await client.fetch('/car/echo')).status).toBe(VsoaStatus.INVALID_URL);
  });
});

describe('VsoaProxy interop: official client → our proxy → official server', () => {
  it('carries RPC, publish and datagram between official peers', async () => {
    const server = new vsoa.Server({ info: { name: 'official' } });
    const datagrams: Array<[string, unknown]> = [];
    let datagramArrived!: () => void;
    const firstDatagram = new Promise<void>((resolve) => (datagramArrived = resolve));
    const officialClients: vsoa.RemoteClient[] = [];
    server.onclient = (cli: vsoa.RemoteClient, connected: boolean) => connected && officialClients.push(cli);
    server.ondata = (_cli: vsoa.RemoteClient, url: string, payload: vsoa.VsoaPayload) => {
      datagrams.push([url, payload?.param]);
      datagramArrived();
    };
    server.on('/echo', (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc, payload: vsoa.VsoaPayload) => cli.reply(0, req.seqno, payload));
    teardowns.push(() => closeOfficial(server));
    const upstreamPort = await startOfficial(server);
    const { port } = await startProxy(upstreamPort);

    const client = new vsoa.Client({});
    client.on('error', () => undefined);
    teardowns.push(() => client.close());
    await new Promise<void>((resolve, reject) =>
      client.connect(`vsoa://${HOST}:${port}`, (error?: Error) => (error ? reject(error) : resolve()), undefined, 5000),
    );
    const reply = await new Promise<vsoa.VsoaPayload | undefined>((resolve, reject) =>
      client.call(
        '/car/echo',
        { method: 'SET' },
        { param: { a: 1 }, data: DATA },
        (error, payload) => (error ? reject(error) : resolve(payload)),
        5000,
      ),
    );
    expect(reply?.param).toEqual({ a: 1 });
    expect(reply?.data).toEqual(DATA);

    // The proxy's upstream link subscribes in turn; the official server says so.
    const upstreamSubscribed = once(officialClients[officialClients.length - 1], 'subscribe');
    await new Promise<void>((resolve, reject) =>
      client.subscribe('/car/news', (error?: Error) => (error ? reject(error) : resolve()), 5000),
    );
    await upstreamSubscribed;
    const published = once(client, 'message');
    server.publish('/news', { param: { n: 1 } });
    const [url, payload] = (await published) as [string, vsoa.VsoaPayload];
    expect(url).toBe('/car/news');
    expect(payload.param).toEqual({ n: 1 });

    client.datagram('/car/horn', { param: { long: true } });
    await firstDatagram;
    expect(datagrams).toEqual([['/horn', { long: true }]]);
  });
});
