/**
 * VsoaServerStrategy beyond the handlers of a plain app: its life before and after listen(), the
 * status it reports and what it logs, listeners and resources given early or late, replies that
 * cannot be encoded, Observables that fail, stream replies nobody takes, the close timeout, event
 * handlers that fail, string proxy routes, and the VsoaPublisher's payloads.
 */
import 'reflect-metadata';
import { Readable } from 'node:stream';
import { Controller, INestMicroservice, Injectable, Module } from '@nestjs/common';
import { MessagePattern, RpcException } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { concat, EMPTY, Observable, of, throwError } from 'rxjs';
import { RemoteClient, VsoaClient, VsoaServer, VsoaStatus, WorkQueue } from '@vsoa/core';
import type { VsoaLogger } from '@vsoa/core';
import {
  getWorkQueueToken,
  InjectWorkQueue,
  VSOA_MODULE_OPTIONS,
  VsoaContext,
  VsoaModule,
  VsoaPublisher,
  VsoaServerStatus,
  VsoaServerStrategy,
} from '@vsoa/nestjs';
import type { VsoaModuleOptions, VsoaServerStrategyOptions } from '@vsoa/nestjs';
import { nextEvent } from '../helpers/events';
import { disposeTestPki, makeTestPki } from '../helpers/certs';
import { teardownsAfterEach } from '../helpers/teardowns';
import { recordLogsEachTest } from './recording-logger';

const HOST = '127.0.0.1';
const teardowns = teardownsAfterEach();
const logs = recordLogsEachTest();

/** Answers when the test says so; `noRelease` while no call waits. */
const noRelease = (): void => undefined;
let release: () => void = noRelease;

@Controller()
class ReplyController {
  @MessagePattern('/bigint')
  bigint(): unknown {
    return { n: 1n };
  }

  @MessagePattern('/fails-late')
  failsLate(): Observable<number> {
    return concat(
      of(1, 2),
      throwError(() => new RpcException({ status: 130, message: 'after two' })),
    );
  }

  @MessagePattern('/empty')
  empty(): Observable<never> {
    return EMPTY;
  }

  @MessagePattern('/last')
  last(): Observable<number> {
    return of(1, 2, 3);
  }

  @MessagePattern('/stream', { workQueue: 'streams' })
  stream(): Readable {
    return Readable.from([Buffer.from('a'), Buffer.from('b')]);
  }

  @MessagePattern('/queued', { workQueue: 'streams' })
  queued(): string {
    return 'queued';
  }

  @MessagePattern('/hang')
  hang(): Promise<string> {
    return new Promise((resolve) => (release = () => resolve('released')));
  }

  @MessagePattern('/light')
  light(): string {
    return 'handler';
  }
}

async function startApp(options: VsoaModuleOptions = {}): Promise<{ app: INestMicroservice; strategy: VsoaServerStrategy; url: string }> {
  @Module({ imports: [VsoaModule.forRoot({ host: HOST, port: 0, ...options })], controllers: [ReplyController] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .setLogger(logs.current)
    .compile();
  const strategy = moduleRef.get(VsoaServerStrategy);
  const app = moduleRef.createNestMicroservice({ strategy });
  await app.listen();
  teardowns.push(() => app.close());
  return { app, strategy, url: `vsoa://${HOST}:${strategy.unwrap().address()!.port}` };
}

async function connect(url: string): Promise<VsoaClient> {
  const client = new VsoaClient({ timeout: 2000 });
  teardowns.push(() => client.close());
  await client.connect(url);
  return client;
}

// Booting Nest the first time in a worker is slow on a busy machine: not what these tests time.
beforeAll(async () => {
  const { app } = await startApp();
  await app.close();
}, 15_000);

function listen(strategy: VsoaServerStrategy): Promise<unknown> {
  return new Promise((resolve) => strategy.listen(resolve));
}

describe('VsoaServerStrategy before and after listen()', () => {
  let pki: Awaited<ReturnType<typeof makeTestPki>>;
  beforeAll(async () => {
    pki = await makeTestPki();
  }, 15_000);
  afterAll(() => disposeTestPki());

  it('before listen(): unwrap() throws, publish() reaches nobody, nothing is subscribed, and close() does nothing', async () => {
    const strategy = new VsoaServerStrategy({ host: HOST, port: 0, proxy: { '/car': `vsoa://${HOST}:1` } });
    const statuses: string[] = [];
    strategy.status.subscribe((status) => statuses.push(status));
    expect(() => strategy.unwrap()).toThrow(
      'Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.',
    );
    expect(strategy.publish('/a', { param: 1 })).toBe(0);
    expect(strategy.isSubscribed('/a')).toBe(false);
    expect(strategy.upstream('/car')).toBeUndefined();
    await strategy.close();
    expect(statuses).toEqual([]);
  });

  it('calls back with the error when it cannot listen, and stays unstarted', async () => {
    const taken = new VsoaServer();
    await taken.listen({ host: HOST, port: 0 });
    teardowns.push(() => taken.close());
    const strategy = new VsoaServerStrategy({ url: `vsoa://${HOST}:${taken.address()!.port}` });
    expect(await listen(strategy)).toMatchObject({ code: 'EADDRINUSE' });
    expect(() => strategy.unwrap()).toThrow('Not initialized');
  });

  it('reports listening then closed, and logs where it listens, TLS included', async () => {
    const strategy = new VsoaServerStrategy({ host: HOST, port: 0 });
    const statuses: string[] = [];
    strategy.status.subscribe((status) => statuses.push(status));
    expect(await listen(strategy)).toBeUndefined();
    const { port } = strategy.unwrap().address()!;
    expect(logs.current.messages('log', 'VsoaServer')).toEqual([`listening on vsoa://127.0.0.1:${port}`]);
    await strategy.close();
    await strategy.close();
    expect(statuses).toEqual([VsoaServerStatus.LISTENING, VsoaServerStatus.CLOSED]);
    // The values of the exported status type.
    expect(statuses).toEqual(['listening', 'closed']);

    const secure = new VsoaServerStrategy({ host: HOST, port: 0, tls: { key: pki.server.key, cert: pki.server.cert } });
    expect(await listen(secure)).toBeUndefined();
    teardowns.push(() => secure.close());
    expect(logs.current.messages('log', 'VsoaServer')).toContain(`listening on TLS vsoa://127.0.0.1:${secure.unwrap().address()!.port}`);
  });

  it('gives listeners of on() the server events, whether added before or after listen(), and logs clients at debug level', async () => {
    const strategy = new VsoaServerStrategy({ host: HOST, port: 0 });
    const early: boolean[] = [];
    strategy.on('client', (_cli, connected) => early.push(connected));
    expect(await listen(strategy)).toBeUndefined();
    teardowns.push(() => strategy.close());
    const late: string[] = [];
    strategy.on('datagram', (_cli, url) => late.push(url));
    const client = await connect(`vsoa://${HOST}:${strategy.unwrap().address()!.port}`);
    const datagram = nextEvent(strategy.unwrap(), 'datagram');
    client.datagram('/ping', { param: 1 });
    await datagram;
    const gone = nextEvent(strategy.unwrap(), 'client', (_cli, connected) => connected === false);
    await client.close();
    await gone;
    expect(early).toEqual([true, false]);
    expect(late).toEqual(['/ping']);
    const debug = logs.current.messages('debug', 'VsoaServer').filter((line) => line.startsWith('client '));
    expect(debug).toEqual([
      expect.stringMatching(/^client \d+ connected \(127\.0\.0\.1:\d+, 1 connected\)$/),
      expect.stringMatching(/^client \d+ disconnected \(127\.0\.0\.1:\d+, 0 connected\)$/),
    ]);
  });

  it('serves a resource given after listen(), unless a handler serves that URL', async () => {
    const { strategy, url } = await startApp();
    let level = 1;
    strategy.resource<number>('/level', { get: () => level, set: (param) => void (level = param as number) });
    strategy.resource('/light', { get: () => 'resource' });
    const client = await connect(url);
    expect((await client.fetch('/level')).payload.param).toBe(1);
    expect((await client.fetch('/level', { method: 'SET', payload: { param: 5 } })).status).toBe(VsoaStatus.SUCCESS);
    expect(level).toBe(5);
    expect((await client.fetch('/light')).payload.param).toBe('handler');
  });
});

describe('VsoaServerStrategy replies', () => {
  it('answers a result that cannot be encoded with NO_RESPONDING and the reason', async () => {
    const { url } = await startApp();
    const client = await connect(url);
    const reply = await client.fetch('/bigint');
    expect(reply.status).toBe(VsoaStatus.NO_RESPONDING);
    expect((reply.payload.param as { error: string }).error).toMatch(/BigInt/);
  });

  it('answers with the error an Observable ends with, the last value it gave, or nothing when it gave none', async () => {
    const { url } = await startApp();
    const client = await connect(url);
    expect(await client.fetch('/fails-late')).toMatchObject({ status: 130, payload: { param: { error: 'after two' } } });
    expect((await client.fetch('/last')).payload.param).toBe(3);
    const empty = await client.fetch('/empty');
    expect(empty.status).toBe(VsoaStatus.SUCCESS);
    expect(empty.payload.param).toBeUndefined();
  });

  it('answers a handler that rejects before it produces anything with the status its error carries', async () => {
    const strategy = new VsoaServerStrategy({ host: HOST, port: 0 });
    strategy.addHandler('/raw', () => Promise.reject({ status: 131, message: 'raw refusal' }), false);
    expect(await listen(strategy)).toBeUndefined();
    teardowns.push(() => strategy.close());
    const client = await connect(`vsoa://${HOST}:${strategy.unwrap().address()!.port}`);
    expect(await client.fetch('/raw')).toMatchObject({ status: 131, payload: { param: { error: 'raw refusal' } } });
  });

  it('ends a stream reply nobody takes after streamTimeout, with a warning, and the work queue goes on', async () => {
    const { url } = await startApp({ streamTimeout: 100, workQueues: ['streams'] });
    const client = await connect(url);
    const reply = await client.fetch('/stream');
    expect(reply.tunid).toBeGreaterThan(0);
    const warning = await logs.current.waitFor('warn', (line) => line.startsWith('stream reply to client '), 2000);
    expect(warning).toMatch(new RegExp(`^stream reply to client ${client.id} ended early: .+`));
    expect((await client.fetch('/queued')).payload.param).toBe('queued');
  });

  it("answers a stream reply the server cannot open with the core's status, and the work queue goes on", async () => {
    const { url } = await startApp({ maxStreamsPerClient: 1, workQueues: ['streams'] });
    const client = await connect(url);
    expect((await client.fetch('/stream')).tunid).toBeGreaterThan(0);
    const refused = await client.fetch('/stream');
    expect(refused.status).toBe(VsoaStatus.NO_MEMORY);
    expect((refused.payload.param as { error: string }).error).toMatch(/maxStreamsPerClient/);
    expect((await client.fetch('/queued')).payload.param).toBe('queued');
  });

  it('close() gives a call in flight 5 s (5000 ms) by default', async () => {
    const { strategy, url } = await startApp();
    const client = await connect(url);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const hanging = client.fetch('/hang', { timeout: 60_000 }).catch((error: unknown) => error);
    const poll = setInterval(() => release !== noRelease && started(), 5);
    await running;
    clearInterval(poll);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
    teardowns.push(() => jest.useRealTimers());
    let closed = false;
    const closing = strategy.close().then(() => (closed = true));
    await jest.advanceTimersByTimeAsync(4900);
    expect(closed).toBe(false);
    await jest.advanceTimersByTimeAsync(200);
    await closing;
    expect(await hanging).toMatchObject({ code: 'CLOSED' });
    release();
    release = noRelease;
  });

  it('close() gives a call in flight closeTimeout ms, then closes the connections', async () => {
    const { strategy, url } = await startApp({ closeTimeout: 100 });
    const client = await connect(url);
    const hanging = client.fetch('/hang').catch((error: unknown) => error);
    await logs.current.waitFor('debug', (line) => line.includes(' connected ('));
    const started = Date.now();
    const dropped = nextEvent(client, 'disconnect');
    await strategy.close();
    await dropped;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await hanging).toMatchObject({ code: 'CLOSED' });
    release();
    release = noRelease;
  });
});

describe('VsoaServerStrategy event handlers', () => {
  it('logs an event handler that fails, by URL, and ignores datagrams no handler covers', async () => {
    const strategy = new VsoaServerStrategy({ host: HOST, port: 0 });
    strategy.addHandler('/boom', () => Promise.reject(new Error('kaput')), true);
    strategy.addHandler('/words', () => Promise.reject('just words'), true);
    expect(await listen(strategy)).toBeUndefined();
    teardowns.push(() => strategy.close());
    const client = await connect(`vsoa://${HOST}:${strategy.unwrap().address()!.port}`);
    client.datagram('/nobody', { param: 0 });
    client.datagram('/boom', { param: 1 });
    client.datagram('/words', { param: 2 });
    await logs.current.waitFor('error', (line) => line.startsWith('datagram handler for /words'));
    expect(logs.current.messages('error', 'VsoaServer')).toEqual([
      'datagram handler for /boom failed: kaput',
      'datagram handler for /words failed: just words',
    ]);
  });
});

describe('VsoaContext', () => {
  it('tells an RPC handler its request and payload, and an event handler that it has none', async () => {
    const strategy = new VsoaServerStrategy({ host: HOST, port: 0 });
    const contexts: VsoaContext[] = [];
    strategy.addHandler(
      '/call',
      async (_data: unknown, ctx?: unknown) => {
        contexts.push(ctx as VsoaContext);
        return 'ok';
      },
      false,
    );
    strategy.addHandler('/event', async (_data: unknown, ctx?: unknown) => void contexts.push(ctx as VsoaContext), true);
    expect(await listen(strategy)).toBeUndefined();
    teardowns.push(() => strategy.close());
    const client = await connect(`vsoa://${HOST}:${strategy.unwrap().address()!.port}`);
    const reply = await client.fetch('/call', { method: 'SET', payload: { param: { a: 1 }, data: Buffer.from([2]) } });
    expect(reply.payload.param).toBe('ok');
    const event = nextEvent(strategy.unwrap(), 'datagram');
    client.datagram('/event', { param: 3 });
    await event;
    await new Promise((resolve) => setImmediate(resolve));
    const [call, datagram] = contexts;
    expect(call.request).toMatchObject({ seqno: reply.seqno, method: 'SET', url: '/call' });
    expect(call.seqno).toBe(reply.seqno);
    expect(call.payload).toEqual({ param: { a: 1 }, data: Buffer.from([2]) });
    expect(call.data).toEqual(Buffer.from([2]));
    expect(call.client.id).toBe(client.id);
    expect(call.quick).toBe(false);
    expect(datagram.request).toBeNull();
    expect(datagram.seqno).toBe(0);
    expect(datagram.method).toBeUndefined();
    expect(datagram.payload).toEqual({ param: 3 });
    expect(datagram.data).toBeUndefined();
  });
});

describe('VsoaServerStrategy gateway routes', () => {
  it('takes a route given as a URL string, and closes its upstream link on close()', async () => {
    const upstream = new VsoaServer({ info: { name: 'car' } });
    upstream.command('/', (cli, req) => cli.reply(req.seqno, { param: `upstream ${req.url}` }));
    await upstream.listen({ host: HOST, port: 0 });
    teardowns.push(() => upstream.close());
    const strategy = new VsoaServerStrategy({ host: HOST, port: 0, proxy: { '/car': `vsoa://${HOST}:${upstream.address()!.port}` } });
    expect(await listen(strategy)).toBeUndefined();
    const link = strategy.upstream('/car')!;
    if (!link.connected) await nextEvent(link, 'connect');
    const client = await connect(`vsoa://${HOST}:${strategy.unwrap().address()!.port}`);
    expect((await client.fetch('/car/doors')).payload.param).toBe('upstream /doors');
    await strategy.close();
    expect(link.connected).toBe(false);
    expect(strategy.upstream('/car')).toBeUndefined();
  });
});

describe('VsoaServerStrategy work queues', () => {
  it("reports a failed job to the options' logger, or else to Nest's", async () => {
    const warnings: string[] = [];
    const logger: VsoaLogger = { debug: () => undefined, warn: (message) => warnings.push(message) };
    const own = new VsoaServerStrategy({ logger });
    expect(own.workQueue('q')).toBe(own.workQueue('q'));
    own.workQueue('q').add(() => Promise.reject(new Error('jammed')));
    await own.workQueue('q').idle();
    expect(warnings).toEqual(['work queue job failed: jammed']);

    const plain = new VsoaServerStrategy();
    plain.workQueue('q').add(() => Promise.reject(new Error('stuck')));
    await plain.workQueue('q').idle();
    expect(logs.current.messages('warn', 'VsoaServer')).toEqual(['work queue job failed: stuck']);
  });
});

describe('VsoaModule work queues', () => {
  async function queueOf(options: VsoaServerStrategyOptions): Promise<WorkQueue> {
    @Module({ imports: [VsoaModule.forRoot({ ...options, workQueues: ['device'] })] })
    class QueueModule {}
    const moduleRef = await Test.createTestingModule({ imports: [QueueModule] })
      .setLogger(logs.current)
      .compile();
    teardowns.push(() => moduleRef.close());
    return moduleRef.get<WorkQueue>(getWorkQueueToken('device'));
  }

  it('is global: a module that does not import it injects the publisher, the strategy and the named queues', async () => {
    @Injectable()
    class Notifier {
      constructor(
        readonly publisher: VsoaPublisher,
        readonly strategy: VsoaServerStrategy,
        @InjectWorkQueue('device') readonly queue: WorkQueue,
      ) {}
    }
    @Module({ providers: [Notifier], exports: [Notifier] })
    class FeatureModule {}
    @Module({ imports: [VsoaModule.forRoot({ workQueues: ['device'] }), FeatureModule] })
    class RootModule {}
    const moduleRef = await Test.createTestingModule({ imports: [RootModule] })
      .setLogger(logs.current)
      .compile();
    teardowns.push(() => moduleRef.close());
    const notifier = moduleRef.get(Notifier);
    expect(notifier.publisher).toBeInstanceOf(VsoaPublisher);
    expect(notifier.strategy).toBe(moduleRef.get(VsoaServerStrategy));
    expect(notifier.queue).toBe(notifier.strategy.workQueue('device'));
  });

  it('keeps the queue names out of the options it provides to the strategy', async () => {
    @Module({ imports: [VsoaModule.forRoot({ host: HOST, port: 0, workQueues: ['device'] })] })
    class OptionsModule {}
    const moduleRef = await Test.createTestingModule({ imports: [OptionsModule] })
      .setLogger(logs.current)
      .compile();
    teardowns.push(() => moduleRef.close());
    expect(moduleRef.get(VSOA_MODULE_OPTIONS)).toEqual({ host: HOST, port: 0 });
  });

  it("report a failed job to the options' logger, or else to Nest's as VsoaWorkQueue", async () => {
    const warnings: string[] = [];
    const own = await queueOf({ logger: { debug: () => undefined, warn: (message) => warnings.push(message) } });
    own.add(() => Promise.reject(new Error('own')));
    await own.idle();
    const plain = await queueOf({});
    plain.add(() => Promise.reject(new Error('nest')));
    await plain.idle();
    expect(warnings).toEqual(['work queue job failed: own']);
    expect(logs.current.messages('warn', 'VsoaWorkQueue')).toEqual(['work queue job failed: nest']);
  });
});

describe('VsoaPublisher', () => {
  it('publishes the param, binary data and quick flag it is given, and tells who is subscribed', async () => {
    const { strategy, url } = await startApp();
    const publisher = new VsoaPublisher(strategy);
    const client = await connect(url);
    expect(publisher.isSubscribed('/news')).toBe(false);
    const remote = strategy.unwrap().clients()[0] as RemoteClient;
    const subscribed = nextEvent(remote, 'subscribe');
    await client.subscribe('/news');
    await subscribed;
    expect(publisher.isSubscribed('/news')).toBe(true);
    expect(publisher.isSubscribed('/other')).toBe(false);

    const got: Array<{ param: unknown; data?: number[]; quick: boolean; keys: string[] }> = [];
    const three = new Promise<void>((resolve) =>
      client.on('message', (_url, payload, quick) => {
        if (got.push({ param: payload.param, data: payload.data && [...payload.data], quick, keys: Object.keys(payload) }) === 3) resolve();
      }),
    );
    expect(publisher.publish('/news', { a: 1 })).toBe(1);
    await nextEvent(client, 'message');
    expect(publisher.publish('/news', undefined, { data: Buffer.from([5]) })).toBe(1);
    await nextEvent(client, 'message');
    expect(publisher.publish('/news', 0, { quick: true })).toBe(1);
    await three;
    expect(got.map(({ param, data, quick }) => ({ param, data, quick }))).toEqual([
      { param: { a: 1 }, data: undefined, quick: false },
      { param: undefined, data: [5], quick: false },
      { param: 0, data: undefined, quick: true },
    ]);
    expect(publisher.publish('/nobody', 1)).toBe(0);
  });
});
