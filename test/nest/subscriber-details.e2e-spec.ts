/**
 * VsoaSubscriberStrategy beyond the deliveries of a plain app: the options it refuses, patterns it
 * cannot serve, the link events, status and logs of each upstream, options shared by upstreams,
 * raw params, the context of a publish, handlers that fail, and close().
 */
import { Buffer } from 'node:buffer';
import { PacketType, RemoteClient, VsoaClient, VsoaServer, VsoaStatus } from '@vsoa/core';
import type { VsoaLogger } from '@vsoa/core';
import { VSOA_SUBSCRIBER_TRANSPORT, VsoaSubscriberContext, VsoaSubscriberStatus, VsoaSubscriberStrategy } from '@vsoa/nestjs';
import { nextEvent } from '../helpers/events';
import { FakeServer, handshakeReply, refusingSubscriptions } from '../helpers/fake-server';
import { teardownsAfterEach } from '../helpers/teardowns';
import { freePort, urlOf } from '../helpers/addresses';
import { recordLogsEachTest } from './recording-logger';

const HOST = '127.0.0.1';
const teardowns = teardownsAfterEach();
const logs = recordLogsEachTest();

async function startCar(port = 0, options: { name?: string; passwd?: string } = {}): Promise<VsoaServer> {
  const car = new VsoaServer({ info: { name: options.name ?? 'car' }, passwd: options.passwd });
  await car.listen({ host: HOST, port });
  teardowns.push(() => car.close());
  return car;
}

/** Starts the strategy as Nest would (listen with a callback); resolves with what the callback got. */
function start(strategy: VsoaSubscriberStrategy): Promise<unknown> {
  teardowns.push(() => strategy.close());
  return new Promise((resolve) => strategy.listen(resolve));
}

/** Resolves with the next report of `event` from the strategy. */
function nextReport<T extends unknown[]>(
  strategy: VsoaSubscriberStrategy,
  event: 'connect' | 'disconnect' | 'connectError' | 'subscribed',
): Promise<T> {
  return new Promise((resolve) => {
    let done = false;
    strategy.on(event, (...args: unknown[]) => {
      if (done) return;
      done = true;
      resolve(args as T);
    });
  });
}

/** Resolves once `count` subscriptions are accepted. */
function subscribedCount(strategy: VsoaSubscriberStrategy, count: number): Promise<Array<[string, string]>> {
  const seen: Array<[string, string]> = [];
  return new Promise((resolve) =>
    strategy.on('subscribed', (upstream, url) => {
      if (seen.push([upstream, url]) === count) resolve(seen);
    }),
  );
}

describe('VsoaSubscriberStrategy options', () => {
  it('refuses to be made without an upstream, with a malformed URL, or with robot options out of range', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
    expect(() => new VsoaSubscriberStrategy({})).toThrow('VsoaSubscriberStrategy needs `url` or `upstreams`');
    expect(() => new VsoaSubscriberStrategy({ upstreams: [] })).toThrow(invalid);
    expect(() => new VsoaSubscriberStrategy({ url: 'http://car:1' })).toThrow(invalid);
    expect(() => new VsoaSubscriberStrategy({ upstreams: [`vsoa://${HOST}:1`, 'car'] })).toThrow(invalid);
    expect(() => new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:1`, keepalive: 1 })).toThrow(invalid);
    expect(() => new VsoaSubscriberStrategy({ upstreams: [{ url: `vsoa://${HOST}:1`, keepalive: 1 }] })).toThrow(invalid);
    // An upstream's own option wins over the shared one.
    expect(() => new VsoaSubscriberStrategy({ keepalive: 1, upstreams: [{ url: `vsoa://${HOST}:1`, keepalive: 1000 }] })).not.toThrow();
  });

  it('binds to VSOA_SUBSCRIBER_TRANSPORT unless given a transport id', () => {
    expect(new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:1` }).transportId).toBe(VSOA_SUBSCRIBER_TRANSPORT);
    const own = Symbol('fleet');
    expect(new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:1`, transportId: own }).transportId).toBe(own);
  });

  it('unwraps to the client of its url, or to the clients of url and upstreams in order', () => {
    const single = new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:1` });
    expect(single.unwrap()).toBeInstanceOf(VsoaClient);
    const many = new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:1`, upstreams: [`vsoa://${HOST}:2`] });
    const clients = many.unwrap<VsoaClient[]>();
    expect(clients).toHaveLength(2);
    for (const client of clients) expect(client).toBeInstanceOf(VsoaClient);
  });

  it("applies the shared link options to every upstream, an upstream's own winning", async () => {
    const car = await startCar(0, { passwd: 'pw' });
    const shared = new VsoaSubscriberStrategy({ passwd: 'pw', upstreams: [urlOf(car)] });
    shared.addHandler('/a', async () => undefined, true);
    const sharedLinked = nextReport(shared, 'connect');
    await start(shared);
    await sharedLinked;

    const own = new VsoaSubscriberStrategy({ passwd: 'wrong', upstreams: [{ url: urlOf(car), passwd: 'pw' }] });
    own.addHandler('/a', async () => undefined, true);
    const ownLinked = nextReport(own, 'connect');
    await start(own);
    await ownLinked;

    const wrong = new VsoaSubscriberStrategy({ url: urlOf(car), passwd: 'wrong', reconnDelay: 60_000 });
    wrong.addHandler('/a', async () => undefined, true);
    const refused = nextReport<[string, Error]>(wrong, 'connectError');
    await start(wrong);
    expect(await refused).toEqual([urlOf(car), expect.objectContaining({ code: 'INVALID_PASSWD' })]);
  });
});

describe('VsoaSubscriberStrategy listen()', () => {
  it('calls back with an error for a pattern that is not a URL', async () => {
    const strategy = new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:1` });
    strategy.addHandler('sensor', async () => undefined, true);
    const error = await start(strategy);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: `@EventPattern('sensor'): a VSOA URL starts with "/"` });
  });

  it('names the way out when it meets a @MessagePattern handler', async () => {
    const strategy = new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:1` });
    strategy.addHandler('/light', async () => 'on', false);
    expect(await start(strategy)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message:
        "@MessagePattern('/light') reached VsoaSubscriberStrategy, which only consumes publishes: use @EventPattern, " +
        "or bind the handler to the serving strategy with @MessagePattern('/light', VSOA_TRANSPORT)",
    });
  });

  it('warns when it has nothing to subscribe to, yet links; a second listen() links nothing more', async () => {
    const car = await startCar();
    let links = 0;
    car.on('client', (_cli, connected) => void (connected && links++));
    const strategy = new VsoaSubscriberStrategy({ url: urlOf(car) });
    const linked = nextReport<[string, unknown]>(strategy, 'connect');
    expect(await start(strategy)).toBeUndefined();
    expect(await new Promise((resolve) => strategy.listen(resolve))).toBeUndefined();
    expect(await linked).toEqual([urlOf(car), { name: 'car' }]);
    expect(logs.current.messages('warn', 'VsoaSubscriber')).toEqual(['no @EventPattern handlers: nothing to subscribe to']);
    expect(logs.current.messages('log', 'VsoaSubscriber')).toEqual([`linked to ${urlOf(car)}`]);
    expect(links).toBe(1);
    expect(car.count).toBe(1);
  });
});

describe('VsoaSubscriberStrategy links', () => {
  it('is connected only once every upstream is linked', async () => {
    const car = await startCar();
    const down = `vsoa://${HOST}:${await freePort()}`;
    const strategy = new VsoaSubscriberStrategy({ upstreams: [urlOf(car), down], reconnDelay: 20, connTimeout: 500 });
    strategy.addHandler('/a', async () => undefined, true);
    const statuses: string[] = [];
    strategy.status.subscribe((status) => statuses.push(status));
    const linked = nextReport(strategy, 'connect');
    const failed = nextReport<[string, Error]>(strategy, 'connectError');
    await start(strategy);
    await linked;
    expect(await failed).toEqual([down, expect.objectContaining({ code: 'CONNECT_ERROR' })]);
    expect(statuses).toEqual([VsoaSubscriberStatus.RECONNECTING]);
    await strategy.close();
    expect(statuses).toEqual([VsoaSubscriberStatus.RECONNECTING, VsoaSubscriberStatus.DISCONNECTED]);
  });

  it('reports and warns when a link drops, with the reason when there is one; close() is quiet and idempotent', async () => {
    const fake = new FakeServer((packet, socket) => {
      if (packet.type === PacketType.SERVINFO) socket.write(handshakeReply(packet.seqno, 1));
    });
    teardowns.push(() => fake.close());
    const url = `vsoa://${HOST}:${await fake.listen()}`;
    const warnings: string[] = [];
    const logger: VsoaLogger = { debug: () => undefined, warn: (message) => warnings.push(message) };
    const strategy = new VsoaSubscriberStrategy({ url, reconnDelay: 60_000, logger });
    strategy.addHandler('/a', async () => undefined, true);
    const statuses: string[] = [];
    strategy.status.subscribe((status) => statuses.push(status));
    const disconnects: unknown[][] = [];
    strategy.on('disconnect', (...args: unknown[]) => disconnects.push(args));
    const linked = nextReport(strategy, 'connect');
    await start(strategy);
    await linked;
    const dropped = nextEvent<[Error | undefined]>(strategy.unwrap<VsoaClient>(), 'disconnect');
    fake.sockets[0].write(Buffer.alloc(64, 0xee));
    const [error] = await dropped;
    expect(error).toBeInstanceOf(Error);
    expect(disconnects).toEqual([[url, error]]);
    expect(logs.current.messages('warn', 'VsoaSubscriber')).toEqual([`link to ${url} lost: ${error!.message}; reconnecting`]);
    // The core client writes to the logger of the options.
    expect(warnings).toEqual([expect.stringContaining(error!.message)]);
    expect(statuses).toEqual([VsoaSubscriberStatus.RECONNECTING, VsoaSubscriberStatus.CONNECTED, VsoaSubscriberStatus.RECONNECTING]);

    await strategy.close();
    await strategy.close();
    // As the guide names them.
    expect(statuses).toEqual(['reconnecting', 'connected', 'reconnecting', 'disconnected']);
  });

  it('warns without a reason when the server closes the link, and says nothing when closed on purpose', async () => {
    const car = await startCar();
    const strategy = new VsoaSubscriberStrategy({ url: urlOf(car), reconnDelay: 60_000 });
    strategy.addHandler('/a', async () => undefined, true);
    const disconnects: unknown[][] = [];
    strategy.on('disconnect', (...args: unknown[]) => disconnects.push(args));
    const linked = nextReport(strategy, 'connect');
    await start(strategy);
    await linked;
    const dropped = nextEvent(strategy.unwrap<VsoaClient>(), 'disconnect');
    car.clients()[0].close();
    await dropped;
    expect(logs.current.messages('warn', 'VsoaSubscriber')).toEqual([`link to ${urlOf(car)} lost; reconnecting`]);

    const other = new VsoaSubscriberStrategy({ url: urlOf(car) });
    other.addHandler('/a', async () => undefined, true);
    const up = nextReport(other, 'connect');
    await start(other);
    await up;
    const gone = nextEvent(other.unwrap<VsoaClient>(), 'disconnect');
    await other.close();
    await gone;
    expect(logs.current.messages('warn', 'VsoaSubscriber')).toHaveLength(1);
    expect(disconnects).toHaveLength(1);
  });

  it('warns when an upstream refuses a subscription, naming it, the pattern and the reason', async () => {
    const fake = refusingSubscriptions(VsoaStatus.NO_PERMISSIONS);
    teardowns.push(() => fake.close());
    const url = `vsoa://${HOST}:${await fake.listen()}`;
    const strategy = new VsoaSubscriberStrategy({ url });
    strategy.addHandler('/secret', async () => undefined, true);
    await start(strategy);
    const warning = await logs.current.waitFor('warn', (line) => line.includes('refused'));
    expect(warning).toMatch(new RegExp(`^${url.replace(/[.]/g, '\\.')} refused the subscription to /secret: .+`));
  });

  it('after a restart, subscribes each pattern once: what the robot renews, it does not ask again', async () => {
    const car = await startCar();
    const port = car.address()!.port;
    const strategy = new VsoaSubscriberStrategy({ url: urlOf(car), reconnDelay: 20 });
    strategy.addHandler('/a', async () => undefined, true);
    strategy.addHandler('/b/', async () => undefined, true);
    const first = subscribedCount(strategy, 2);
    await start(strategy);
    await first;
    const dropped = nextEvent(strategy.unwrap<VsoaClient>(), 'disconnect');
    await car.close();
    await dropped;

    const again = new VsoaServer({ info: { name: 'car' } });
    const asked: string[] = [];
    again.on('client', (cli: RemoteClient, connected) => {
      if (connected) cli.on('subscribe', (urls) => asked.push(...urls));
    });
    const renewed = subscribedCount(strategy, 2);
    await again.listen({ host: HOST, port });
    teardowns.push(() => again.close());
    await renewed;
    // One more round trip: a duplicate SUBSCRIBE would have arrived by now.
    expect((await strategy.unwrap<VsoaClient>().ping(2000)) >= 0).toBe(true);
    expect(asked.sort()).toEqual(['/a', '/b/']);
  });
});

describe('VsoaSubscriberStrategy deliveries', () => {
  it('gives a handler the param, raw when asked, and a context with the payload and the client', async () => {
    const car = await startCar();
    const got: Array<{ data: unknown; ctx: VsoaSubscriberContext }> = [];
    let delivered: () => void = () => undefined;
    const handler = async (data: unknown, ctx?: unknown): Promise<void> => {
      got.push({ data, ctx: ctx as VsoaSubscriberContext });
      delivered();
    };
    const raw = new VsoaSubscriberStrategy({ url: urlOf(car), raw: true });
    raw.addHandler('/a', handler, true);
    const ready = nextReport(raw, 'subscribed');
    await start(raw);
    await ready;
    const arrived = new Promise<void>((resolve) => (delivered = resolve));
    car.publish('/a', { param: { n: 1 }, data: Buffer.from([9]) });
    await arrived;
    const [{ data, ctx }] = got;
    expect(typeof data).toBe('string');
    expect(JSON.parse(data as string)).toEqual({ n: 1 });
    expect(ctx.payload).toEqual({ param: data, data: Buffer.from([9]) });
    expect(ctx.client).toBe(raw.unwrap());
    expect(ctx.upstream).toBe(urlOf(car));
  });

  it('logs a handler that fails, with its pattern and upstream, and ignores publishes no pattern covers', async () => {
    const car = await startCar();
    const strategy = new VsoaSubscriberStrategy({ url: urlOf(car) });
    strategy.addHandler('/boom', () => Promise.reject(new Error('kaput')), true);
    strategy.addHandler('/words', () => Promise.reject('just words'), true);
    const ready = subscribedCount(strategy, 2);
    await start(strategy);
    await ready;
    // Subscribed on the client's side too, so that the core delivers it: no handler covers it.
    await strategy.unwrap<VsoaClient>().subscribe('/nobody');
    car.publish('/nobody', { param: 0 });
    car.publish('/boom', { param: 1 });
    car.publish('/words', { param: 2 });
    await logs.current.waitFor('error', (line) => line.startsWith('handler of /words'));
    expect(logs.current.messages('error', 'VsoaSubscriber')).toEqual([
      `handler of /boom failed on a publish from ${urlOf(car)}: kaput`,
      `handler of /words failed on a publish from ${urlOf(car)}: just words`,
    ]);
  });
});
