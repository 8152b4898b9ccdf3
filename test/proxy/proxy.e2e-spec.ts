/**
 * VsoaProxy: one endpoint in front of upstream servers, routed by URL prefix. Our client and
 * the official one on the front, our server and the official one behind, real sockets.
 */
import { EventEmitter, once } from 'node:events';
import { AddressInfo, connect, createServer as createNetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import * as vsoa from 'vsoa';
import { encodePacket, Flag, PacketType, VsoaClient, VsoaProxy, VsoaServer, VsoaStatus } from '@vsoa/core';
import type { RemoteClient, VsoaLogger, VsoaReply } from '@vsoa/core';
import { disposeTestPki, makeTestPki } from '../helpers/certs';
import { nextEvent } from '../helpers/events';
import { FakeServer, handshakeReply } from '../helpers/fake-server';
import { closeOfficial, startOfficial } from '../helpers/official-server';
import { readDigest, writeRandom } from '../helpers/stream-data';
import { teardownsAfterEach } from '../helpers/teardowns';
import { RecordingLogger } from '../helpers/recording-logger';

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

async function startProxy(upstreamPort: number, logger?: VsoaLogger): Promise<{ proxy: VsoaProxy; port: number }> {
  const proxy = new VsoaProxy({ info: { name: 'gateway' }, logger });
  proxy.command('/local', (cli, req) => cli.reply(req.seqno, { param: 'served by the proxy' }));
  proxy.add('/car', `vsoa://${HOST}:${upstreamPort}`, { reconnDelay: 50, keepalive: 500, callTimeout: 3000 });
  teardowns.push(() => proxy.close());
  await proxy.listen({ host: HOST, port: 0 });
  // The first calls must not race the route's first upstream link.
  const link = proxy.upstream('/car')!;
  if (!link.connected) await once(link, 'connect');
  return { proxy, port: proxy.address()!.port };
}

/** Calls /car/never through the proxy; the call reaches the upstream, then the upstream dies. */
async function upstreamDiesDuringCall(upstream: { server: VsoaServer; calls: EventEmitter }, client: VsoaClient): Promise<VsoaReply> {
  const arrived = once(upstream.calls, 'never');
  const pending = client.fetch('/car/never');
  await arrived;
  await upstream.server.close();
  return pending;
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
    expect((await upstreamDiesDuringCall(upstream, client)).status).toBe(VsoaStatus.PROXY);
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

/** The next debug line of `logger` that starts with `start`. */
async function debugLine(logger: RecordingLogger, start: string, ms = 2000): Promise<string> {
  const seen = logger.debugs.find((m) => m.startsWith(start));
  if (seen !== undefined) return seen;
  const [line] = await nextEvent<[string]>(logger, 'debug', (m) => m.startsWith(start), ms);
  return line;
}

/** Every (un)subscribe an upstream's clients send, as '+/url' and '-/url', in order of arrival. */
function watchSubscriptions(server: VsoaServer): { log: string[]; seen: (entry: string) => Promise<void> } {
  const log: string[] = [];
  const events = new EventEmitter();
  const record = (entries: string[]): void => {
    for (const entry of entries) {
      log.push(entry);
      events.emit('entry', entry);
    }
  };
  const watch = (cli: RemoteClient): void => {
    cli.on('subscribe', (urls) => record(urls.map((url) => `+${url}`)));
    cli.on('unsubscribe', (urls) => record((urls ?? ['(all)']).map((url) => `-${url}`)));
  };
  server.clients().forEach(watch);
  server.on('client', (cli, connected) => connected && watch(cli));
  return {
    log,
    seen: async (entry) => {
      if (!log.includes(entry)) await nextEvent<[string]>(events, 'entry', (e) => e === entry, 2000);
    },
  };
}

/** Waits until the proxy's link to the upstream of `prefix` is up. */
async function linked(proxy: VsoaProxy, prefix: string): Promise<void> {
  const link = proxy.upstream(prefix)!;
  if (!link.connected) await once(link, 'connect');
}

/** A proxy listening on 127.0.0.1 with `routes` (prefix → upstream port), every link up. */
async function proxyWith(
  routes: Array<[string, number]>,
  options: { logger?: VsoaLogger; tls?: TlsOptions; upstreamTls?: ConnectionOptions } = {},
): Promise<{ proxy: VsoaProxy; port: number }> {
  const proxy = new VsoaProxy({ info: { name: 'gateway' }, logger: options.logger });
  teardowns.push(() => proxy.close());
  for (const [prefix, port] of routes) proxy.add(prefix, `vsoa://${HOST}:${port}`, { reconnDelay: 50, tls: options.upstreamTls });
  await proxy.listen({ host: HOST, port: 0, tls: options.tls });
  for (const [prefix] of routes) await linked(proxy, prefix);
  return { proxy, port: proxy.address()!.port };
}

/** A port nothing listens on (it did a moment ago). */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An upstream with stream commands: '/hold' opens a tunnel and says 'hello'; '/bogus' names a tunnel nobody listens on. */
async function startStreamUpstream(): Promise<{ port: number; held: EventEmitter }> {
  const server = new VsoaServer({ info: { name: 'streams' } });
  const held = new EventEmitter();
  server.command('/hold', async (cli, req) => {
    const stream = await server.createStream({ client: cli });
    cli.reply(req.seqno, undefined, { tunid: stream.tunid });
    await once(stream, 'connect');
    stream.write('hello');
    stream.resume();
    held.emit('held', stream);
  });
  const nobody = await closedPort();
  server.command('/bogus', (cli, req) => cli.reply(req.seqno, undefined, { tunid: nobody }));
  await server.listen({ host: HOST, port: 0 });
  teardowns.push(() => server.close());
  return { port: server.address()!.port, held };
}

/** Resolves when `stream` has closed; rejects after `ms`. */
function closed(stream: Duplex | Socket, ms = 2000): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return nextEvent(stream, 'close', () => true, ms).then(() => undefined);
}

describe('VsoaProxy routing details', () => {
  it('leaves a command of its own under exactly prefix/ alone, and says whether a route was deleted', async () => {
    const upstream = await startUpstream();
    const proxy = new VsoaProxy({ info: { name: 'gateway' } });
    teardowns.push(() => proxy.close());
    proxy.command('/car/', (cli, req) => cli.reply(req.seqno, { param: `local ${req.url}` }));
    proxy.add('/car', `vsoa://${HOST}:${upstream.port}`);
    await proxy.listen({ host: HOST, port: 0 });
    await linked(proxy, '/car');
    const client = await ourClient(proxy.address()!.port);
    expect((await client.fetch('/car/echo')).payload.param).toBe('local /car/echo');
    expect(proxy.delete('/bus')).toBe(false);
    expect(proxy.prefixes()).toEqual(['/car']);
    expect(() => proxy.add('car', 'vsoa://127.0.0.1:1')).toThrow(`proxy prefix must be like '/car': "car"`);
    // Deleting the route leaves that command in place too.
    expect(proxy.delete('/car')).toBe(true);
    expect(proxy.prefixes()).toEqual([]);
    expect((await client.fetch('/car/echo')).payload.param).toBe('local /car/echo');
  });

  it('closes its upstream links when it closes', async () => {
    const upstream = await startUpstream();
    const { proxy } = await proxyWith([['/car', upstream.port]]);
    const link = proxy.upstream('/car')!;
    expect(upstream.server.clients()).toHaveLength(1);
    const gone = nextEvent<[RemoteClient, boolean]>(upstream.server, 'client', (_cli, connected) => !connected, 2000);
    await proxy.close();
    await gone;
    expect(link.connected).toBe(false);
    expect(upstream.server.clients()).toHaveLength(0);
  });

  it('routes datagrams by the longest prefix, the prefix itself as /, with or without a param', async () => {
    const upstream = await startUpstream();
    // Longest not first nor last: the first match and the last match are both wrong somewhere.
    const { port } = await proxyWith([
      ['/car/engine', upstream.port],
      ['/car', upstream.port],
      ['/car/engine/oil', upstream.port],
    ]);
    const client = await ourClient(port);
    const seen: Array<[string, unknown, number | undefined]> = [];
    const arrived = new Promise<void>((resolve) =>
      upstream.server.on('datagram', (_cli, url, payload) => {
        seen.push([url, payload.param, payload.data?.length]);
        if (seen.length === 5) resolve();
      }),
    );
    client.datagram('/car/engine/rpm', { param: 1 });
    client.datagram('/car/engine/oil/level', { param: 2 });
    client.datagram('/car/door', { param: 3 });
    client.datagram('/car', { param: 4 });
    client.datagram('/car/engine/horn', { data: DATA });
    await arrived;
    expect(seen.sort()).toEqual([
      ['/', '4', undefined],
      ['/door', '3', undefined],
      ['/horn', undefined, DATA.length],
      ['/level', '2', undefined],
      ['/rpm', '1', undefined],
    ]);
  });

  it('republishes the upstream root as the prefix itself, to a client subscribed to exactly the prefix', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyWith([['/car', upstream.port]]);
    const subs = watchSubscriptions(upstream.server);
    const client = await ourClient(port);
    await client.subscribe('/car');
    await subs.seen('+/');
    const got = nextEvent<[string, unknown]>(client, 'message');
    upstream.server.publish('/', { param: '1' });
    const [url, payload] = await got;
    expect(url).toBe('/car');
    expect(payload).toEqual({ param: 1 });
  });

  it('subscribes the whole upstream for a wider subscription, and nothing for one outside every route', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyWith([['/car', upstream.port]]);
    const subs = watchSubscriptions(upstream.server);
    const client = await ourClient(port);
    await client.subscribe('/bus/x');
    await client.subscribe('/car/last');
    await subs.seen('+/last');
    expect(subs.log).toEqual(['+/last']);
    const wide = await ourClient(port);
    await wide.subscribe('/');
    await subs.seen('+/');
    expect(subs.log).toEqual(['+/last', '+/']);
    const got = nextEvent<[string, unknown]>(wide, 'message');
    upstream.server.publish('/speed', { param: '5' });
    expect((await got)[0]).toBe('/car/speed');
  });

  it('subscribes an upstream URL once however many clients want it, and keeps it while one does', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyWith([['/car', upstream.port]]);
    const subs = watchSubscriptions(upstream.server);
    const first = await ourClient(port);
    const second = await ourClient(port);
    await first.subscribe('/car/speed');
    await subs.seen('+/speed');
    await second.subscribe('/car/speed');
    await second.subscribe('/car/rpm');
    await subs.seen('+/rpm');
    expect(subs.log).toEqual(['+/speed', '+/rpm']);
    // A subscribed client that leaves: what nobody else wants is unsubscribed upstream.
    await first.subscribe('/car/only-first');
    await subs.seen('+/only-first');
    await first.close();
    await subs.seen('-/only-first');
    expect(subs.log).toEqual(['+/speed', '+/rpm', '+/only-first', '-/only-first']);
  });

  it('republishes a quick publish quick', async () => {
    const upstream = await startUpstream();
    const { port } = await proxyWith([['/car', upstream.port]]);
    const subs = watchSubscriptions(upstream.server);
    const client = await ourClient(port);
    await client.subscribe('/car/q');
    await subs.seen('+/q');
    const got = nextEvent<[string, unknown, boolean]>(client, 'message');
    upstream.server.publish('/q', { param: '1' }, { quick: true });
    expect(await got).toEqual(['/car/q', { param: 1 }, true]);
  });

  it('subscribes an upstream that comes up later to what clients asked for meanwhile', async () => {
    const logger = new RecordingLogger();
    const upstreamPort = await closedPort();
    const proxy = new VsoaProxy({ info: { name: 'gateway' }, logger });
    teardowns.push(() => proxy.close());
    proxy.add('/car', `vsoa://${HOST}:${upstreamPort}`, { reconnDelay: 50 });
    await proxy.listen({ host: HOST, port: 0 });
    // The failed connects are logged, under the route.
    expect(await debugLine(logger, 'proxy /car: ')).toMatch(/^proxy \/car: \S/);
    const client = await ourClient(proxy.address()!.port);
    await client.subscribe('/car/speed');
    const upstream = await startUpstream(upstreamPort);
    const subs = watchSubscriptions(upstream.server);
    await subs.seen('+/speed');
    // While the upstream was down the proxy did not try to subscribe it (and fail).
    expect(logger.debugs.filter((m) => m.startsWith('proxy subscribe'))).toEqual([]);
    const got = nextEvent<[string, unknown]>(client, 'message');
    upstream.server.publish('/speed', { param: '7' });
    expect(await got).toEqual(['/car/speed', { param: 7 }, false]);
  });

  it('logs the subscriptions an upstream refuses', async () => {
    const logger = new RecordingLogger();
    const upstream = new VsoaServer({ info: { name: 'tight' }, maxSubscriptions: 1 });
    await upstream.listen({ host: HOST, port: 0 });
    teardowns.push(() => upstream.close());
    const { port } = await proxyWith([['/car', upstream.address()!.port]], { logger });
    const subs = watchSubscriptions(upstream);
    const client = await ourClient(port);
    await client.subscribe('/car/a');
    await subs.seen('+/a');
    await client.subscribe('/car/b');
    // 6 is NO_MEMORY, what a server answers past maxSubscriptions.
    expect(await debugLine(logger, 'proxy subscribe /b: ')).toBe('proxy subscribe /b: subscribe /b failed with status NO_MEMORY (6)');
  });

  it('logs an unsubscribe the upstream refuses', async () => {
    const logger = new RecordingLogger();
    // A hand-written upstream that accepts subscriptions and answers every unsubscribe ARGUMENTS (2).
    const fake = new FakeServer((packet, socket) => {
      const reply = (status: number): boolean =>
        socket.write(encodePacket({ type: packet.type, flags: Flag.REPLY, status, seqno: packet.seqno }));
      if (packet.type === PacketType.SERVINFO) socket.write(handshakeReply(packet.seqno, 1));
      else if (packet.type === PacketType.SUBSCRIBE || packet.type === PacketType.PINGECHO) reply(0);
      else if (packet.type === PacketType.UNSUBSCRIBE) reply(2);
    });
    teardowns.push(() => fake.close());
    const { port } = await proxyWith([['/car', await fake.listen()]], { logger });
    const client = await ourClient(port);
    await client.subscribe('/car/a');
    await client.unsubscribe('/car/a');
    expect(await debugLine(logger, 'proxy unsubscribe /a: ')).toBe('proxy unsubscribe /a: unsubscribe /a failed with status ARGUMENTS (2)');
  });
});

describe('VsoaProxy failures on the way', () => {
  it('logs an upstream call that fails, and does not try one while the upstream is down', async () => {
    const logger = new RecordingLogger();
    const upstream = await startUpstream();
    const { port } = await startProxy(upstream.port, logger);
    const client = await ourClient(port);
    expect((await upstreamDiesDuringCall(upstream, client)).status).toBe(VsoaStatus.PROXY);
    expect(await debugLine(logger, 'proxy /car/never: ')).toMatch(/^proxy \/car\/never: \S/);
    expect((await client.fetch('/car/echo')).status).toBe(VsoaStatus.PROXY);
    expect(logger.debugs.filter((m) => m.startsWith('proxy /car/echo'))).toEqual([]);
  });

  it('ends the stream it opened when the upstream tunnel cannot be reached', async () => {
    const logger = new RecordingLogger();
    const upstream = await startStreamUpstream();
    const { port } = await proxyWith([['/car', upstream.port]], { logger });
    const client = await ourClient(port);
    const reply = await client.fetch('/car/bogus');
    expect(reply.tunid).toBeGreaterThan(0);
    expect(await debugLine(logger, 'proxy stream /car/bogus: ')).toMatch(/ECONNREFUSED/);
    // The tunnel the proxy offered is gone with it.
    const stream = client.createStream(reply.tunid);
    stream.on('error', () => undefined);
    await closed(stream);
  });

  it('ends the upstream tunnel when its client resets the stream', async () => {
    const logger = new RecordingLogger();
    const upstream = await startStreamUpstream();
    const { port } = await proxyWith([['/car', upstream.port]], { logger });
    const client = await ourClient(port);
    const held = nextEvent<[Duplex]>(upstream.held, 'held');
    const reply = await client.fetch('/car/hold');
    const socket = connect({ host: HOST, port: reply.tunid });
    socket.on('error', () => undefined);
    await nextEvent(socket, 'data');
    const [far] = await held;
    socket.resetAndDestroy();
    await closed(far);
    expect(await debugLine(logger, 'proxy stream /car/hold: ')).toMatch(/ECONNRESET/);
  });

  it('ends the upstream tunnel when its client does not come in 5 s', async () => {
    const upstream = await startStreamUpstream();
    const { port } = await proxyWith([['/car', upstream.port]]);
    const client = await ourClient(port);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
    try {
      const held = nextEvent<[Duplex]>(upstream.held, 'held');
      await client.fetch('/car/hold');
      const [far] = await held;
      // Closed with 'hello' unread by the proxy's end: it may come as a reset.
      far.on('error', () => undefined);
      const farClosed = closed(far, 60_000);
      jest.advanceTimersByTime(4_999);
      await new Promise((resolve) => setImmediate(resolve));
      expect(far.destroyed).toBe(false);
      jest.advanceTimersByTime(1);
      await farClosed;
    } finally {
      jest.useRealTimers();
    }
  });

  it('lets only the caller take the stream it opened', async () => {
    const upstream = await startStreamUpstream();
    const { proxy, port } = await proxyWith([['/car', upstream.port]]);
    const client = await ourClient(port);
    const reply = await client.fetch('/car/hold');
    // Another address of this machine comes first: turned away, and given nothing.
    const intruder = connect({ host: HOST, port: reply.tunid, localAddress: '127.0.0.2' });
    let stolen = 0;
    intruder.on('data', (chunk: Buffer) => (stolen += chunk.length));
    intruder.on('error', () => undefined);
    await closed(intruder);
    expect(stolen).toBe(0);
    expect(proxy.counters.streamsRefused).toBe(1);
    const stream = client.createStream(reply.tunid);
    const [chunk] = await nextEvent<[Buffer]>(stream, 'data');
    expect(chunk.toString()).toBe('hello');
    stream.destroy();
  });

  describe('over TLS', () => {
    afterAll(() => disposeTestPki());

    it('logs a quick datagram that cannot go quick to a TLS upstream', async () => {
      const pki = await makeTestPki();
      const logger = new RecordingLogger();
      const upstream = new VsoaServer({ info: { name: 'tls' } });
      await upstream.listen({ host: HOST, port: 0, tls: { key: pki.server.key, cert: pki.server.cert } });
      teardowns.push(() => upstream.close());
      const { port } = await proxyWith([['/sec', upstream.address()!.port]], { logger, upstreamTls: { ca: pki.ca } });
      const client = await ourClient(port);
      client.datagram('/sec/x', { param: 1 }, { quick: true });
      expect(await debugLine(logger, 'proxy datagram /sec/x: ')).toMatch(/clear text/);
    });

    it('logs a quick publish that cannot go quick on a TLS proxy', async () => {
      const pki = await makeTestPki();
      const logger = new RecordingLogger();
      const upstream = await startUpstream();
      const { port } = await proxyWith([['/car', upstream.port]], { logger, tls: { key: pki.server.key, cert: pki.server.cert } });
      const subs = watchSubscriptions(upstream.server);
      const client = new VsoaClient({ timeout: 5000 });
      teardowns.push(() => client.close());
      await client.connect(`vsoa://${HOST}:${port}`, { tls: { ca: pki.ca } });
      await client.subscribe('/car/q');
      await subs.seen('+/q');
      upstream.server.publish('/q', { param: '1' }, { quick: true });
      expect(await debugLine(logger, 'proxy publish /car/q: ')).toMatch(/clear text/);
    });
  });
});
