/**
 * ClientVsoa as a caller sees it, beyond the happy path: its defaults, the link it shares, the
 * status it reports and what it logs, calls Nest's ClientProxy refuses, datagrams with options,
 * subscriptions shared between observers, and `balance: 'round-robin'` over the replicas a
 * position server names.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, Subscription } from 'rxjs';
import {
  encodePacket,
  Flag,
  LookupOptions,
  PacketType,
  PositionServer,
  RemoteClient,
  VsoaClient,
  VsoaReplicas,
  VsoaServer,
  VsoaStatus,
} from '@vsoa/core';
import { ClientVsoa, VsoaClientStatus, VsoaMessage, VsoaRecord, VsoaRecordBuilder, VsoaServerStrategy } from '@vsoa/nestjs';
import { nextEvent } from '../helpers/events';
import { FakeServer, handshakeReply, refusingSubscriptions } from '../helpers/fake-server';
import { teardownsAfterEach } from '../helpers/teardowns';
import { freePort, urlOf } from '../helpers/addresses';
import { recordLogsEachTest } from './recording-logger';

const HOST = '127.0.0.1';
/** What Nest's ClientProxy fails a call with when its pattern or data is undefined or null. */
const INVALID_MESSAGE = 'The invalid data or message pattern (undefined/null)';
const teardowns = teardownsAfterEach();
const logs = recordLogsEachTest();

async function startServer(port = 0, name = 'car'): Promise<VsoaServer> {
  const server = new VsoaServer({ info: { name } });
  server.command('/who', (cli, req) => cli.reply(req.seqno, { param: name }));
  await server.listen({ host: HOST, port });
  teardowns.push(() => server.close());
  return server;
}

function newClient(options: ConstructorParameters<typeof ClientVsoa>[0]): ClientVsoa {
  const client = new ClientVsoa(options);
  teardowns.push(() => client.close());
  return client;
}

function statusesOf(client: ClientVsoa): string[] {
  const statuses: string[] = [];
  const subscription = client.status.subscribe((status) => statuses.push(status));
  teardowns.push(() => subscription.unsubscribe());
  return statuses;
}

/** The server's side of the next client that connects. */
function nextRemote(server: VsoaServer): Promise<RemoteClient> {
  return nextEvent<[RemoteClient, boolean]>(server, 'client', (_cli, connected) => connected).then(([cli]) => cli);
}

/** A fake server that admits clients and answers nothing else. */
async function silentServer(): Promise<FakeServer> {
  const fake = new FakeServer((packet, socket) => {
    if (packet.type === PacketType.SERVINFO) socket.write(handshakeReply(packet.seqno, 1));
  });
  teardowns.push(() => fake.close());
  await fake.listen();
  return fake;
}

describe('ClientVsoa defaults', () => {
  it('links vsoa://127.0.0.1:3005 when given no address, where the server strategy listens by default', async () => {
    const strategy = new VsoaServerStrategy();
    const listening = await new Promise<unknown>((resolve) => strategy.listen(resolve));
    expect(listening).toBeUndefined();
    teardowns.push(() => strategy.close());
    expect(strategy.unwrap().address()).toMatchObject({ address: '127.0.0.1', port: 3005 });
    strategy.unwrap().command('/who', (cli, req) => cli.reply(req.seqno, { param: 'default' }));

    for (const options of [undefined, { host: HOST }, { port: 3005 }]) {
      const client = newClient(options);
      expect(await firstValueFrom(client.send('/who', {}))).toBe('default');
      expect(logs.current.messages('log', 'ClientVsoa')).toContain('connected to vsoa://127.0.0.1:3005');
      await client.close();
    }
  });

  it('refuses robot options the seed refuses, unless it does not reconnect', () => {
    expect(() => new ClientVsoa({ port: 1, keepalive: 1000, turbo: 2000 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new ClientVsoa({ port: 1, keepalive: 1000, turbo: 2000, reconnect: false })).not.toThrow();
  });
});

describe('ClientVsoa link', () => {
  it('before connect(): unwrap() throws, and listeners given to on() wait for the link', async () => {
    const server = await startServer(0, 'waited');
    const client = newClient({ url: urlOf(server) });
    expect(() => client.unwrap()).toThrow('Not initialized. Please call the "connect" method first.');
    const infos: unknown[] = [];
    client.on('connect', (info) => infos.push(info));
    await client.connect();
    expect(infos).toEqual([{ name: 'waited' }]);
    // After connect(), on() listens to the core client at once.
    const later: string[] = [];
    client.on('message', (url) => later.push(url));
    await client.unwrap<VsoaClient>().subscribe('/news');
    const delivered = nextEvent(client.unwrap<VsoaClient>(), 'message');
    server.publish('/news', { param: 1 });
    await delivered;
    expect(later).toEqual(['/news']);
  });

  it.each([true, false])('shares one link between concurrent and later connect() calls (reconnect: %s)', async (reconnect) => {
    const server = await startServer();
    let links = 0;
    server.on('client', (_cli, connected) => void (connected && links++));
    const client = newClient({ url: urlOf(server), reconnect });
    const [first, second] = await Promise.all([client.connect(), client.connect()]);
    expect(second).toBe(first);
    expect(await client.connect()).toBe(first);
    expect(links).toBe(1);
    expect(server.count).toBe(1);
  });

  it('connects after a subscribe() that started the robot, and again after close()', async () => {
    const server = await startServer(0, 'again');
    const client = newClient({ url: urlOf(server) });
    const subscription = client.subscribe('/news').subscribe();
    teardowns.push(() => subscription.unsubscribe());
    await expect(client.connect()).resolves.toBeInstanceOf(VsoaClient);
    await client.close();
    expect(() => client.unwrap()).toThrow('Not initialized');
    await expect(client.connect()).resolves.toBeInstanceOf(VsoaClient);
    expect(await firstValueFrom(client.send('/who', {}))).toBe('again');
  });

  it("makes its core client with the timeout option as that client's default", async () => {
    const fake = await silentServer();
    const client = newClient({ port: fake.port, reconnect: false, timeout: 200 });
    await client.connect();
    const started = Date.now();
    await expect(client.unwrap<VsoaClient>().ping()).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('with reconnect: false, a connect() that failed may be tried again', async () => {
    const port = await freePort();
    const client = newClient({ url: `vsoa://${HOST}:${port}`, reconnect: false });
    await expect(client.connect()).rejects.toMatchObject({ code: 'CONNECT_ERROR' });
    await startServer(port, 'late');
    await expect(client.connect()).resolves.toBeInstanceOf(VsoaClient);
    expect(await firstValueFrom(client.send('/who', {}))).toBe('late');
  });

  it('reports connected, then disconnected once closed, without a warning; a client never linked reports nothing', async () => {
    const server = await startServer();
    const client = newClient({ url: urlOf(server) });
    const statuses = statusesOf(client);
    await client.connect();
    const remote = nextEvent(server, 'client', (_cli, connected) => connected === false);
    await client.close();
    await remote;
    await client.close();
    // As the guide names them.
    expect(statuses).toEqual(['connected', 'disconnected']);
    expect(logs.current.messages('warn')).toEqual([]);

    const idle = new ClientVsoa({ url: urlOf(server) });
    const idleStatuses = statusesOf(idle);
    await idle.close();
    expect(idleStatuses).toEqual([]);
  });

  it('with reconnect: false, a dropped link is "disconnected" and the warning says it is lost, not reconnecting', async () => {
    const fake = await silentServer();
    const client = newClient({ port: fake.port, reconnect: false });
    const statuses = statusesOf(client);
    await client.connect();
    const dropped = nextEvent(client.unwrap<VsoaClient>(), 'disconnect');
    fake.sockets[0].destroy();
    await dropped;
    expect(statuses).toEqual([VsoaClientStatus.CONNECTED, VsoaClientStatus.DISCONNECTED]);
    expect(logs.current.messages('warn', 'ClientVsoa')).toEqual([`link to vsoa://127.0.0.1:${fake.port} lost`]);
  });

  it('with the robot, a link broken by garbage is "reconnecting", and the warning gives the reason', async () => {
    const fake = await silentServer();
    const client = newClient({ port: fake.port, reconnDelay: 60_000 });
    const statuses = statusesOf(client);
    await client.connect();
    const dropped = nextEvent<[Error | undefined]>(client.unwrap<VsoaClient>(), 'disconnect');
    fake.sockets[0].write(Buffer.alloc(64, 0xee));
    const [error] = await dropped;
    expect(error).toBeInstanceOf(Error);
    expect(statuses).toEqual([VsoaClientStatus.CONNECTED, VsoaClientStatus.RECONNECTING]);
    // The core client writes to the same Nest logger; the transport's own line gives the reason.
    expect(logs.current.messages('warn', 'ClientVsoa')).toEqual([
      expect.stringContaining(error!.message),
      `link to vsoa://127.0.0.1:${fake.port} lost: ${error!.message}; reconnecting`,
    ]);
  });

  it('reports "reconnecting" once while the robot fails again and again', async () => {
    const client = newClient({ url: `vsoa://${HOST}:${await freePort()}`, reconnDelay: 10, connTimeout: 500 });
    const statuses = statusesOf(client);
    let failures = 0;
    const thrice = new Promise<void>((resolve) => client.on('connectError', () => ++failures === 3 && resolve()));
    client.connect().catch(() => undefined);
    await thrice;
    expect(statuses).toEqual(['reconnecting']);
    await client.close();
    expect(statuses).toEqual([VsoaClientStatus.RECONNECTING, VsoaClientStatus.DISCONNECTED]);
  });
});

describe('ClientVsoa calls', () => {
  it("refuses a call or an event without a pattern or data, as Nest's ClientProxy does", async () => {
    const server = await startServer();
    const client = newClient({ url: urlOf(server) });
    await client.connect();
    for (const [pattern, data] of [
      ['/who', undefined],
      ['/who', null],
      [undefined, {}],
      [null, {}],
    ]) {
      await expect(firstValueFrom(client.send(pattern, data))).rejects.toThrow(INVALID_MESSAGE);
      await expect(firstValueFrom(client.emit(pattern, data))).rejects.toThrow(INVALID_MESSAGE);
    }
    expect(await firstValueFrom(client.send('/who', 0))).toBe('car');
  });

  it("runs Nest's dispatch hook on a call over a link that is up", async () => {
    const server = await startServer();
    const client = newClient({ url: urlOf(server) });
    await client.connect();
    const seen: unknown[] = [];
    client.setOnDispatchHook((packet) => seen.push(packet.pattern));
    expect(await firstValueFrom(client.send('/who', {}))).toBe('car');
    expect(seen).toEqual(['/who']);
  });

  it('gives a call the timeout of the options, and a record the timeout of its own', async () => {
    const fake = await silentServer();
    const client = newClient({ port: fake.port, reconnect: false, timeout: 200 });
    await client.connect();
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
    teardowns.push(() => jest.useRealTimers());
    const settle = (call: Promise<unknown>): { done: boolean; result: Promise<unknown> } => {
      const state = { done: false, result: call.catch((error: unknown) => error) };
      void state.result.then(() => (state.done = true));
      return state;
    };
    const plain = settle(firstValueFrom(client.send('/silent', {})));
    const own = settle(firstValueFrom(client.send('/silent', new VsoaRecordBuilder({}).setTimeout(1000).build())));
    await jest.advanceTimersByTimeAsync(150);
    expect(plain.done).toBe(false);
    await jest.advanceTimersByTimeAsync(150);
    expect(await plain.result).toMatchObject({ code: 'TIMEOUT' });
    expect(own.done).toBe(false);
    await jest.advanceTimersByTimeAsync(800);
    expect(await own.result).toMatchObject({ code: 'TIMEOUT' });
  });

  it('gives a call the stream a reply announces', async () => {
    const server = await startServer();
    server.command('/file', async (cli, req) => {
      const stream = await server.createStream({ client: cli });
      cli.reply(req.seqno, undefined, { tunid: stream.tunid });
      stream.end(Buffer.from('tunnelled'));
    });
    const client = newClient({ url: urlOf(server) });
    const stream = await firstValueFrom(client.send<NodeJS.ReadableStream>('/file', {}));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('tunnelled');
  });

  it('answers a call with { param, data } when the reply carries data, else with the param alone', async () => {
    const server = await startServer();
    server.command('/blob', (cli, req) => cli.reply(req.seqno, { param: { n: 1 }, data: Buffer.from([1, 2]) }));
    server.command('/empty', (cli, req) => cli.reply(req.seqno));
    const client = newClient({ url: urlOf(server) });
    expect(await firstValueFrom(client.send('/blob', {}))).toEqual({ param: { n: 1 }, data: Buffer.from([1, 2]) });
    expect(await firstValueFrom(client.send('/who', {}))).toBe('car');
    expect(await firstValueFrom(client.send('/empty', {}), { defaultValue: 'none' })).toBe('none');
    // A record made without options is a plain GET of its param.
    expect(await firstValueFrom(client.send('/who', new VsoaRecord({ any: 1 })))).toBe('car');
  });

  it('sends an event as a datagram with the param, binary data and quick flag of its record', async () => {
    const server = await startServer();
    const got: Array<{ url: string; param: unknown; data?: number[]; quick: boolean }> = [];
    const two = new Promise<void>((resolve) =>
      server.on('datagram', (_cli, url, payload, quick) => {
        if (got.push({ url, param: payload.param, data: payload.data && [...payload.data], quick }) === 2) resolve();
      }),
    );
    const client = newClient({ url: urlOf(server), reconnect: false });
    // Before connect(): emit() links first.
    await firstValueFrom(client.emit('/plain', { v: 1 }), { defaultValue: undefined });
    await firstValueFrom(
      client.emit(
        '/rich',
        new VsoaRecordBuilder(5)
          .setData(Buffer.from([7]))
          .setQuick()
          .build(),
      ),
      {
        defaultValue: undefined,
      },
    );
    await two;
    got.sort((a, b) => a.url.localeCompare(b.url));
    expect(got).toEqual([
      { url: '/plain', param: { v: 1 }, quick: false },
      { url: '/rich', param: 5, data: [7], quick: true },
    ]);
  });
});

describe('ClientVsoa.subscribe()', () => {
  it('shares one server subscription between observers of a URL; the last one to leave unsubscribes it', async () => {
    const server = await startServer();
    const client = newClient({ url: urlOf(server) });
    const remote = nextRemote(server);
    await client.connect();
    const cli = await remote;
    const subscribes: string[][] = [];
    cli.on('subscribe', (urls) => subscribes.push(urls));
    const taken = nextEvent(cli, 'subscribe');
    const a: unknown[] = [];
    const b: unknown[] = [];
    const first = client.subscribe<number>('/news').subscribe(({ param }) => a.push(param));
    const second = client.subscribe<number>('/news').subscribe(({ param }) => b.push(param));
    await taken;
    const delivered = nextEvent(client.unwrap<VsoaClient>(), 'message');
    server.publish('/news', { param: 1 });
    await delivered;
    expect([a, b]).toEqual([[1], [1]]);
    expect(subscribes).toEqual([['/news']]);

    first.unsubscribe();
    const again = nextEvent(client.unwrap<VsoaClient>(), 'message');
    server.publish('/news', { param: 2 });
    await again;
    expect([a, b]).toEqual([[1], [1, 2]]);
    expect(server.isSubscribed('/news')).toBe(true);

    const left = nextEvent(cli, 'unsubscribe');
    second.unsubscribe();
    expect(await left).toEqual([['/news']]);
    expect(server.isSubscribed('/news')).toBe(false);
  });

  it("delivers an observer only the URLs its subscription covers, with the publish's data and quick flag", async () => {
    const server = await startServer();
    const client = newClient({ url: urlOf(server) });
    await client.connect();
    const sensor: Array<VsoaMessage<number>> = [];
    const other: Array<VsoaMessage<number>> = [];
    const subscriptions: Subscription[] = [
      client.subscribe<number>('/sensor/').subscribe((message) => sensor.push(message)),
      client.subscribe<number>('/other').subscribe((message) => other.push(message)),
    ];
    teardowns.push(() => subscriptions.forEach((subscription) => subscription.unsubscribe()));
    const accepted: string[] = [];
    await new Promise<void>((resolve) => client.on('subscribed', (url) => accepted.push(url) === 2 && resolve()));
    const core = client.unwrap<VsoaClient>();
    let delivered = nextEvent(core, 'message');
    server.publish('/other', { param: 1 });
    await delivered;
    delivered = nextEvent(core, 'message');
    server.publish('/sensor/speed', { param: 2, data: Buffer.from([3]) }, { quick: true });
    await delivered;
    expect(other).toEqual([{ url: '/other', param: 1, data: undefined, quick: false }]);
    expect(sensor).toEqual([{ url: '/sensor/speed', param: 2, data: Buffer.from([3]), quick: true }]);
  });

  it('with reconnect: false, subscribing before connect() links and subscribes once', async () => {
    const server = await startServer();
    const client = newClient({ url: urlOf(server), reconnect: false });
    const remote = nextRemote(server);
    const message = firstValueFrom(client.subscribe<string>('/news'));
    const cli = await remote;
    const subscribes: string[][] = [];
    cli.on('subscribe', (urls) => subscribes.push(urls));
    await new Promise<void>((resolve) => client.on('subscribed', () => resolve()));
    server.publish('/news', { param: 'hello' });
    expect((await message).param).toBe('hello');
    expect(subscribes).toEqual([['/news']]);
  });

  it('does not error an observer when the link drops while the server is asked, nor warn of a refusal', async () => {
    const fake = new FakeServer((packet, socket) => {
      if (packet.type === PacketType.SERVINFO) socket.write(handshakeReply(packet.seqno, 1));
      if (packet.type === PacketType.SUBSCRIBE) socket.destroy();
    });
    teardowns.push(() => fake.close());
    const client = newClient({ port: await fake.listen(), reconnDelay: 60_000 });
    await client.connect();
    let errored: unknown = null;
    const subscription = client.subscribe('/news').subscribe({ error: (error: unknown) => (errored = error) });
    teardowns.push(() => subscription.unsubscribe());
    await nextEvent(client.unwrap<VsoaClient>(), 'disconnect');
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(errored).toBeNull();
    expect(logs.current.messages('warn', 'ClientVsoa').filter((line) => line.includes('refused'))).toEqual([]);
  });

  it('after a restart, asks the server once for each URL: what the robot renews, it does not ask again', async () => {
    const first = await startServer();
    const port = first.address()!.port;
    const client = newClient({ url: urlOf(first), reconnDelay: 20 });
    const accepted: string[] = [];
    client.on('subscribed', (url) => accepted.push(url));
    const subscriptions = [client.subscribe('/a').subscribe(), client.subscribe('/b/').subscribe(), client.subscribe('/gone').subscribe()];
    teardowns.push(() => subscriptions.forEach((subscription) => subscription.unsubscribe()));
    await client.connect();
    while (accepted.length < 3) await nextEvent(client.unwrap<VsoaClient>(), 'subscribed');
    // An observer that left before the restart: its URL is not asked for again.
    subscriptions[2].unsubscribe();
    await nextEvent(first.clients()[0], 'unsubscribe');
    const dropped = nextEvent(client.unwrap<VsoaClient>(), 'disconnect');
    await first.close();
    await dropped;

    const again = new VsoaServer({ info: { name: 'again' } });
    const asked: string[] = [];
    again.on('client', (cli: RemoteClient, connected) => {
      if (connected) cli.on('subscribe', (urls) => asked.push(...urls));
    });
    accepted.length = 0;
    await again.listen({ host: HOST, port });
    teardowns.push(() => again.close());
    while (accepted.length < 2) await nextEvent(client.unwrap<VsoaClient>(), 'subscribed');
    // One more round trip: a second SUBSCRIBE would have arrived by now.
    expect(await client.unwrap<VsoaClient>().ping(2000)).toBeGreaterThanOrEqual(0);
    expect(asked.sort()).toEqual(['/a', '/b/']);
  });

  it('errors every observer of a refused URL, and warns with the URL, the server and the reason', async () => {
    const fake = refusingSubscriptions(VsoaStatus.NO_PERMISSIONS);
    teardowns.push(() => fake.close());
    const port = await fake.listen();
    const client = newClient({ port });
    await client.connect();
    const results = await Promise.all([
      firstValueFrom(client.subscribe('/secret')).catch((error: unknown) => error),
      firstValueFrom(client.subscribe('/secret')).catch((error: unknown) => error),
    ]);
    for (const error of results) expect(error).toMatchObject({ name: 'VsoaStatusError', status: VsoaStatus.NO_PERMISSIONS });
    expect(logs.current.messages('warn', 'ClientVsoa')).toEqual([
      `subscribe /secret refused by vsoa://127.0.0.1:${port}: ${(results[0] as Error).message}`,
    ]);
  });
});

/** No position server from env or file: only the one a test names. */
function positionLookup(port: number): LookupOptions {
  return {
    sources: ['position'],
    env: { VSOA_POS_SERVER: `${HOST}:${port}` },
    posFile: join(tmpdir(), 'vsoa-no-such-file.pos'),
    retryInterval: 100,
  };
}

async function positionServer(table: Record<string, { addr: string; port: number }>): Promise<PositionServer> {
  const position = new PositionServer({ table });
  await position.listen({ host: HOST, port: 0 });
  teardowns.push(() => position.close());
  return position;
}

describe("ClientVsoa with balance: 'round-robin'", () => {
  it('links the replicas of a name: calls, events, listeners, status and close()', async () => {
    const server = await startServer(0, 'replica');
    const address = `${HOST}:${server.address()!.port}`;
    const position = await positionServer({ lights: { addr: HOST, port: server.address()!.port } });
    const client = newClient({
      url: 'vsoa://lights',
      balance: 'round-robin',
      lookup: positionLookup(position.address()!.port),
      timeout: 2000,
    });
    const statuses = statusesOf(client);
    const linked: unknown[][] = [];
    client.on('connect', (...args: unknown[]) => linked.push(args));

    const replicas = await client.connect();
    expect(replicas).toBeInstanceOf(VsoaReplicas);
    expect(client.unwrap()).toBe(replicas);
    expect(await client.connect()).toBe(replicas);
    expect(linked).toEqual([[address, { name: 'replica' }]]);
    expect(await firstValueFrom(client.send('/who', {}))).toBe('replica');

    const datagram = nextEvent(server, 'datagram');
    await firstValueFrom(client.emit('/sensor', new VsoaRecordBuilder(3).setData(Buffer.from([4])).build()), { defaultValue: undefined });
    const [, url, payload, quick] = await datagram;
    expect([url, payload, quick]).toEqual(['/sensor', { param: 3, data: Buffer.from([4]) }, false]);
    const quickDatagram = nextEvent(server, 'datagram');
    await firstValueFrom(client.emit('/sensor', new VsoaRecordBuilder(5).setQuick().build()), { defaultValue: undefined });
    expect((await quickDatagram).slice(1)).toEqual(['/sensor', { param: 5 }, true]);

    // After connect(), on() listens to the replicas.
    const disconnects: unknown[] = [];
    client.on('disconnect', (...args: unknown[]) => disconnects.push(args[0]));
    const down = new Promise((resolve) => (replicas as VsoaReplicas).once('disconnect', resolve));
    await server.close();
    await down;
    expect(disconnects).toEqual([address]);
    expect(statuses).toEqual([VsoaClientStatus.CONNECTED, VsoaClientStatus.RECONNECTING]);

    // No replica linked: a call and an event fail at once.
    await expect(firstValueFrom(client.send('/who', {}))).rejects.toMatchObject({ code: 'NOT_CONNECTED', message: 'not connected' });
    await expect(firstValueFrom(client.emit('/sensor', 1))).rejects.toMatchObject({
      code: 'NOT_CONNECTED',
      message: 'datagram not sent: no replica linked',
    });

    await client.close();
    expect(statuses).toEqual([VsoaClientStatus.CONNECTED, VsoaClientStatus.RECONNECTING, VsoaClientStatus.DISCONNECTED]);
    expect(() => client.unwrap()).toThrow('Not initialized');
  });

  it('rejects connect() for a name no one knows, and tries again on the next connect()', async () => {
    const server = await startServer(0, 'found');
    const position = await positionServer({});
    const client = newClient({ url: 'vsoa://lights', balance: 'round-robin', lookup: positionLookup(position.address()!.port) });
    await expect(client.connect()).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' });
    position.set('lights', { addr: HOST, port: server.address()!.port });
    await expect(client.connect()).resolves.toBeInstanceOf(VsoaReplicas);
    expect(await firstValueFrom(client.send('/who', {}))).toBe('found');
  });

  it('subscribes on the replicas, delivers what the observer covers, and unsubscribes when it leaves', async () => {
    const server = await startServer(0, 'replica');
    const position = await positionServer({ lights: { addr: HOST, port: server.address()!.port } });
    const client = newClient({ url: 'vsoa://lights', balance: 'round-robin', lookup: positionLookup(position.address()!.port) });
    const remote = nextRemote(server);
    const messages: Array<VsoaMessage<number>> = [];
    const subscription = client.subscribe<number>('/sensor/').subscribe((message) => messages.push(message));
    const cli = await remote;
    if (!server.isSubscribed('/sensor/x')) await nextEvent(cli, 'subscribe');
    const replicas = client.unwrap<VsoaReplicas>();
    let delivered = nextEvent(replicas, 'message');
    server.publish('/sensor/x', { param: 1, data: Buffer.from([2]) });
    await delivered;
    // A publish the subscription does not cover (another observer asked for it) is not this observer's.
    const other: number[] = [];
    const watching = client.subscribe<number>('/other').subscribe(({ param }) => other.push(param));
    teardowns.push(() => watching.unsubscribe());
    await nextEvent(cli, 'subscribe');
    delivered = nextEvent(replicas, 'message');
    server.publish('/other', { param: 3 });
    await delivered;
    expect(other).toEqual([3]);
    expect(messages).toEqual([{ url: '/sensor/x', param: 1, data: Buffer.from([2]), quick: false }]);

    const left = nextEvent(cli, 'unsubscribe', (urls) => JSON.stringify(urls) === '["/sensor/"]');
    subscription.unsubscribe();
    await left;
    expect(server.isSubscribed('/sensor/x')).toBe(false);
    delivered = nextEvent(replicas, 'message');
    server.publish('/other', { param: 4 });
    await delivered;
    expect(messages).toHaveLength(1);
  });

  it('asks no replica for a URL whose observer left before the replicas were linked', async () => {
    const server = await startServer(0, 'replica');
    const position = await positionServer({ lights: { addr: HOST, port: server.address()!.port } });
    const client = newClient({ url: 'vsoa://lights', balance: 'round-robin', lookup: positionLookup(position.address()!.port) });
    client.subscribe('/early').subscribe().unsubscribe();
    const replicas = (await client.connect()) as VsoaReplicas;
    expect(await replicas.pick()!.ping(2000)).toBeGreaterThanOrEqual(0);
    expect(server.isSubscribed('/early')).toBe(false);
  });

  it('errors the observer when the name is found nowhere, or a replica refuses the subscription', async () => {
    const position = await positionServer({});
    const lost = newClient({ url: 'vsoa://nowhere', balance: 'round-robin', lookup: positionLookup(position.address()!.port) });
    await expect(firstValueFrom(lost.subscribe('/a'))).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' });

    const fake = new FakeServer((packet, socket) => {
      if (packet.type === PacketType.SERVINFO) socket.write(handshakeReply(packet.seqno, 1));
      if (packet.type === PacketType.SUBSCRIBE) {
        socket.write(encodePacket({ type: PacketType.SUBSCRIBE, flags: Flag.REPLY, status: VsoaStatus.INVALID_URL, seqno: packet.seqno }));
      }
    });
    teardowns.push(() => fake.close());
    position.set('strict', { addr: HOST, port: await fake.listen() });
    const refused = newClient({ url: 'vsoa://strict', balance: 'round-robin', lookup: positionLookup(position.address()!.port) });
    await refused.connect();
    await expect(firstValueFrom(refused.subscribe('/a'))).rejects.toMatchObject({
      name: 'VsoaStatusError',
      status: VsoaStatus.INVALID_URL,
    });
  });
});
