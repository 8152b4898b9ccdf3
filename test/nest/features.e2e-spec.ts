/**
 * The Nest transport beyond plain handlers: work queues as providers, a Readable returned by a
 * handler served as a stream tunnel, request-scoped controllers, ClientsModule.registerAsync with
 * ClientVsoa as customClass.
 */
import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Controller, Inject, Injectable, INestMicroservice, Module, Scope } from '@nestjs/common';
import { ClientProxy, ClientsModule, CONTEXT, MessagePattern, Payload, RequestContext } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { VsoaClient, WorkQueue } from '@vsoa/core';
import { ClientVsoa, InjectWorkQueue, VSOA_TRANSPORT, VsoaContext, VsoaModule, VsoaResource, VsoaServerStrategy } from '@vsoa/nestjs';
import { readDigest } from '../helpers/stream-data';
import { nextEvent } from '../helpers/events';

const FILE = join(__dirname, '..', '..', 'README.md');
const log: string[] = [];
const logged = new EventEmitter();
/** A move that runs until the test lets it finish. */
const HELD = 99;
let held = deferred();

/** A promise and its resolve (Promise.withResolvers is Node 22+). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** A few event-loop turns: long enough for a second call to start if nothing stops it. */
async function busy(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

@Controller()
class DeviceController {
  constructor(@InjectWorkQueue('device') private readonly device: WorkQueue) {}

  @MessagePattern('/move', { workQueue: 'device' })
  async move(@Payload() n: number): Promise<string> {
    log.push(`move${n}+`);
    logged.emit('entry', `move${n}+`);
    await (n === HELD ? held.promise : busy());
    log.push(`move${n}-`);
    return `moved ${n}`;
  }

  @MessagePattern('/home', { workQueue: 'device' })
  async home(@Payload() n: number): Promise<string> {
    log.push(`home${n}+`);
    await busy();
    log.push(`home${n}-`);
    return `homed ${n}`;
  }

  /** Maintenance from the app itself, on the same queue as the handlers. */
  @MessagePattern('/calibrate')
  calibrate(): string {
    this.device.add(async () => {
      log.push('calibrate+');
      await busy();
      log.push('calibrate-');
    });
    return 'queued';
  }

  @MessagePattern('/file')
  file(): Readable {
    return createReadStream(FILE);
  }
}

/** Resources on a provider: a primitive (replaced by SET) and one a handler overrides. */
@Injectable()
class DriveSettings {
  @VsoaResource('/mode')
  mode = 'eco';

  @VsoaResource('/move')
  shadowed = { never: 'served' };

  @VsoaResource('/seat')
  seat = { height: 3 };
}

let instances = 0;

/** A transient helper: every consumer (here, every per-call controller) gets its own. */
@Injectable({ scope: Scope.TRANSIENT })
class CallTracker {
  readonly id = ++instances;
}

@Controller({ scope: Scope.REQUEST })
class ScopedController {
  constructor(
    @Inject(CONTEXT) private readonly request: RequestContext<unknown, VsoaContext>,
    private readonly tracker: CallTracker,
  ) {}

  @MessagePattern('/scoped/')
  scoped(): unknown {
    return {
      pattern: this.request.pattern,
      data: this.request.data,
      url: this.request.context?.url,
      tracker: this.tracker.id,
    };
  }
}

@Module({
  imports: [VsoaModule.forRoot({ host: '127.0.0.1', port: 0, info: { name: 'features' }, workQueues: ['device'] })],
  controllers: [DeviceController, ScopedController],
  providers: [CallTracker, DriveSettings],
})
class AppModule {}

/** True when some call started before the previous one ended. */
function interleaved(entries: string[]): boolean {
  return entries.some((entry, i) => entry.endsWith('+') && i > 0 && entries[i - 1].endsWith('+'));
}

describe('Nest transport features', () => {
  let app: INestMicroservice;
  let url: string;
  let client: VsoaClient;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestMicroservice({ strategy: moduleRef.get(VsoaServerStrategy) });
    await app.listen();
    url = `vsoa://127.0.0.1:${app.get(VsoaServerStrategy).unwrap().address()!.port}`;
    client = new VsoaClient({ timeout: 3000 });
    await client.connect(url);
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
  });

  beforeEach(() => {
    log.length = 0;
  });

  it('runs handlers that opt into a work queue one at a time, in arrival order', async () => {
    const replies = await Promise.all(
      [1, 2].flatMap((n) => [client.fetch('/move', { payload: { param: n } }), client.fetch('/home', { payload: { param: n } })]),
    );
    expect(replies.map((r) => r.payload.param)).toEqual(['moved 1', 'homed 1', 'moved 2', 'homed 2']);
    expect(interleaved(log)).toBe(false);
    expect(log.filter((e) => e.endsWith('+'))).toEqual(['move1+', 'home1+', 'move2+', 'home2+']);
  });

  it('shares the queue with the app: a job queued while a handler runs waits for it', async () => {
    held = deferred();
    const moving = nextEvent(logged, 'entry', (entry) => entry === `move${HELD}+`);
    const first = client.fetch('/move', { payload: { param: HELD } });
    await moving;
    // The move is running (and held): the app queues its job now.
    expect((await client.fetch('/calibrate')).payload.param).toBe('queued');
    held.resolve();
    await first;
    await app.get(VsoaServerStrategy).workQueue('device').idle();
    expect(log).toEqual([`move${HELD}+`, `move${HELD}-`, 'calibrate+', 'calibrate-']);
  });

  it('serves a Readable returned by a handler through a stream tunnel', async () => {
    const reply = await client.fetch('/file');
    expect(reply.status).toBe(0);
    expect(reply.tunid).toBeGreaterThan(0);
    const got = await readDigest(client.createStream(reply.tunid));
    expect(got.bytes).toBe(readFileSync(FILE).length);
  });

  it('gives ClientVsoa.send() the stream of such a reply', async () => {
    const proxy = new ClientVsoa({ url, timeout: 3000 });
    try {
      const stream = await firstValueFrom(proxy.send<Readable>('/file', {}));
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks)).toEqual(readFileSync(FILE));
    } finally {
      await proxy.close();
    }
  });

  it('serves request-scoped controllers with the request context, and transient providers, fresh per call', async () => {
    const first = await client.fetch('/scoped/a', { payload: { param: { x: 1 } } });
    const second = await client.fetch('/scoped/b', { payload: { param: { x: 2 } } });
    expect(first.payload.param).toMatchObject({ pattern: '/scoped/', data: { x: 1 }, url: '/scoped/a' });
    expect(second.payload.param).toMatchObject({ pattern: '/scoped/', data: { x: 2 }, url: '/scoped/b' });
    const ids = [first, second].map((reply) => (reply.payload.param as { tracker: number }).tracker);
    expect(ids[1]).toBeGreaterThan(ids[0]);
  });

  it('runs Nest processing hooks around each call, with the VSOA context', async () => {
    const strategy = app.get(VsoaServerStrategy);
    const seen: string[] = [];
    strategy.setOnProcessingStartHook((transportId, context, done) => {
      seen.push(`start ${transportId === VSOA_TRANSPORT} ${(context as VsoaContext).url}`);
      return done();
    });
    strategy.setOnProcessingEndHook((_transportId, context) => seen.push(`end ${(context as VsoaContext).url}`));
    try {
      await client.fetch('/move', { payload: { param: 9 } });
      expect(seen).toEqual(['start true /move', 'end /move']);
    } finally {
      strategy.setOnProcessingStartHook((_t, _c, done) => done());
      strategy.setOnProcessingEndHook(() => undefined);
    }
  });

  it('serves @VsoaResource properties: GET reads, SET replaces and publishes; a handler on the same URL wins', async () => {
    expect((await client.fetch('/mode')).payload.param).toBe('eco');
    await client.subscribe('/mode');
    const published = new Promise<unknown>((resolve) => client.once('message', (_url, payload) => resolve(payload.param)));
    expect((await client.fetch('/mode', { method: 'SET', payload: { param: 'sport' } })).payload.param).toBe('sport');
    expect(await published).toBe('sport');
    expect(app.get(DriveSettings).mode).toBe('sport');
    expect((await client.fetch('/move', { payload: { param: 3 } })).payload.param).toBe('moved 3');
  });

  it('merges an object SET into an @VsoaResource property, never through __proto__ or constructor', async () => {
    const hostile = Buffer.from('{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":true}},"height":5}');
    expect((await client.fetch('/seat', { method: 'SET', payload: { param: hostile } })).payload.param).toEqual({ height: 5 });
    const seat = app.get(DriveSettings).seat;
    expect(Object.getPrototypeOf(seat)).toBe(Object.prototype);
    expect((seat as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('works as ClientsModule.registerAsync customClass', async () => {
    @Module({
      imports: [
        ClientsModule.registerAsync([
          {
            name: 'DEVICE',
            useFactory: () => ({ customClass: ClientVsoa, options: { url, timeout: 3000 } }),
          },
        ]),
      ],
    })
    class CallerModule {}
    const caller = await Test.createTestingModule({ imports: [CallerModule] }).compile();
    const proxy = caller.get<ClientProxy>('DEVICE');
    try {
      expect(proxy).toBeInstanceOf(ClientVsoa);
      expect(await firstValueFrom(proxy.send('/move', 7))).toBe('moved 7');
    } finally {
      await caller.close();
    }
  });
});
