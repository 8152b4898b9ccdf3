import 'reflect-metadata';
import { once } from 'node:events';
import {
  CallHandler,
  CanActivate,
  Controller,
  ExecutionContext,
  Inject,
  Injectable,
  INestMicroservice,
  Module,
  NestInterceptor,
  ParseIntPipe,
  Scope,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, CONTEXT, EventPattern, MessagePattern, Payload, RequestContext } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { Observable, Subject } from 'rxjs';
import * as vsoa from 'vsoa';
import { VsoaClient, VsoaServer } from '@vsoa/core';
import {
  VSOA_SUBSCRIBER_TRANSPORT,
  VSOA_TRANSPORT,
  VsoaModule,
  VsoaSubscriberContext,
  VsoaSubscriberStatus,
  VsoaSubscriberStrategy,
  VsoaServerStrategy,
} from '@vsoa/nestjs';
import { closeOfficial, startOfficial } from '../helpers/official-server';
import { teardownsAfterEach } from '../helpers/teardowns';

const teardowns = teardownsAfterEach();
const HOST = '127.0.0.1';

/** What the handlers saw, in order. */
interface Seen {
  handler: string;
  url: string;
  param: unknown;
  quick: boolean;
  upstream: string;
  info?: unknown;
  data?: number[];
}
let seen = new Subject<Seen>();
const intercepted: string[] = [];

/** Waits for the next `n` deliveries; sorted by URL, since handlers with guards or interceptors take longer. */
function nextSeen(n = 1): Promise<Seen[]> {
  const got: Seen[] = [];
  return new Promise((resolve) => {
    const subscription = seen.subscribe((entry) => {
      got.push(entry);
      if (got.length === n) {
        subscription.unsubscribe();
        resolve(got.sort((a, b) => a.url.localeCompare(b.url)));
      }
    });
  });
}

@Injectable()
class NoSecrets implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return !context.switchToRpc().getContext<VsoaSubscriberContext>().url.includes('secret');
  }
}

@Injectable()
class Recorder implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    intercepted.push(context.switchToRpc().getContext<VsoaSubscriberContext>().url);
    return next.handle();
  }
}

@Controller()
class TelemetryController {
  @EventPattern<string>('/sensor/')
  @UseGuards(NoSecrets)
  @UseInterceptors(Recorder)
  sensor(@Payload() param: unknown, @Ctx() ctx: VsoaSubscriberContext): void {
    seen.next({
      handler: 'sensor/',
      url: ctx.url,
      param,
      quick: ctx.quick,
      upstream: ctx.upstream,
      info: ctx.info,
      data: ctx.data && [...ctx.data],
    });
  }

  @EventPattern<string>('/sensor/speed')
  speed(@Payload() param: unknown, @Ctx() ctx: VsoaSubscriberContext): void {
    seen.next({ handler: 'speed', url: ctx.url, param, quick: ctx.quick, upstream: ctx.upstream });
  }

  @EventPattern<string>('/count')
  count(@Payload(ParseIntPipe) n: number, @Ctx() ctx: VsoaSubscriberContext): void {
    seen.next({ handler: 'count', url: ctx.url, param: n, quick: ctx.quick, upstream: ctx.upstream });
  }
}

let instances = 0;

@Controller({ scope: Scope.REQUEST })
class ScopedController {
  private readonly instance = ++instances;

  constructor(@Inject(CONTEXT) private readonly request: RequestContext<unknown, VsoaSubscriberContext>) {}

  @EventPattern<string>('/scoped/')
  scoped(): void {
    const ctx = this.request.context!;
    seen.next({
      handler: `scoped#${this.instance} ${this.request.pattern}`,
      url: ctx.url,
      param: this.request.data,
      quick: ctx.quick,
      upstream: ctx.upstream,
    });
  }
}

@Module({ controllers: [TelemetryController, ScopedController] })
class CollectorModule {}

async function startCar(port = 0, name = 'car'): Promise<VsoaServer> {
  const car = new VsoaServer({ info: { name } });
  await car.listen({ host: HOST, port });
  teardowns.push(() => car.close());
  return car;
}

async function startCollector(strategy: VsoaSubscriberStrategy, module: unknown = CollectorModule): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({ imports: [module as typeof CollectorModule] }).compile();
  const app = moduleRef.createNestMicroservice({ strategy, logger: false });
  teardowns.push(() => app.close());
  await app.listen();
  return app;
}

/** Resolves once `strategy` has had `url` accepted by `count` subscriptions (one per upstream). */
function subscribedTo(strategy: VsoaSubscriberStrategy, url: string, count = 1): Promise<string[]> {
  const upstreams: string[] = [];
  return new Promise((resolve) =>
    strategy.on('subscribed', (upstream, pattern) => {
      if (pattern === url) upstreams.push(upstream);
      if (upstreams.length === count) resolve(upstreams);
    }),
  );
}

beforeEach(() => {
  seen = new Subject<Seen>();
  intercepted.length = 0;
});

describe('VsoaSubscriberStrategy', () => {
  it("delivers a server's publishes to @EventPattern handlers: the most specific pattern, with the context", async () => {
    const car = await startCar();
    const url = `vsoa://${HOST}:${car.address()!.port}`;
    const strategy = new VsoaSubscriberStrategy({ url });
    const ready = subscribedTo(strategy, '/sensor/');
    await startCollector(strategy);
    expect(await ready).toEqual([url]);

    const got = nextSeen(3);
    car.publish('/sensor/temp', { param: 21, data: Buffer.from([1, 2]) });
    car.publish('/sensor/speed', { param: 88 });
    car.publish('/sensor', { param: 'root' });
    expect(await got).toEqual([
      { handler: 'sensor/', url: '/sensor', param: 'root', quick: false, upstream: url, info: { name: 'car' } },
      { handler: 'speed', url: '/sensor/speed', param: 88, quick: false, upstream: url },
      { handler: 'sensor/', url: '/sensor/temp', param: 21, quick: false, upstream: url, info: { name: 'car' }, data: [1, 2] },
    ]);
    // Every pattern was subscribed on the server; nothing else.
    expect(car.isSubscribed('/count')).toBe(true);
    expect(car.isSubscribed('/other')).toBe(false);
  });

  it('delivers quick (UDP) publishes with ctx.quick', async () => {
    const car = await startCar();
    const strategy = new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:${car.address()!.port}` });
    const ready = subscribedTo(strategy, '/sensor/speed');
    await startCollector(strategy);
    await ready;
    const got = nextSeen();
    car.publish('/sensor/speed', { param: 120 }, { quick: true });
    expect(await got).toEqual([expect.objectContaining({ handler: 'speed', param: 120, quick: true })]);
  });

  it('runs guards, pipes and interceptors, and request-scoped handlers fresh per publish', async () => {
    const car = await startCar();
    const strategy = new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:${car.address()!.port}` });
    const ready = subscribedTo(strategy, '/scoped/');
    await startCollector(strategy);
    await ready;

    const got = nextSeen(4);
    car.publish('/sensor/secret', { param: 'hidden' }); // denied by the guard
    car.publish('/sensor/oil', { param: 'ok' });
    car.publish('/count', { param: '42' }); // ParseIntPipe
    car.publish('/scoped/a', { param: 1 });
    car.publish('/scoped/b', { param: 2 });
    const [count, ...rest] = await got;
    const oil = rest.pop()!;
    const scoped = rest;
    expect(count).toMatchObject({ handler: 'count', param: 42 });
    expect(oil).toMatchObject({ handler: 'sensor/', url: '/sensor/oil', param: 'ok' });
    // The guard ran before the interceptor: the denied publish never reached it.
    expect(intercepted).toEqual(['/sensor/oil']);
    expect(scoped.map((entry) => [entry.url, entry.param])).toEqual([
      ['/scoped/a', 1],
      ['/scoped/b', 2],
    ]);
    // A new controller for each publish, and Nest's request context with the registered pattern.
    expect(scoped.map((entry) => entry.handler.split(' ')[1])).toEqual(['/scoped/', '/scoped/']);
    expect(new Set(scoped.map((entry) => entry.handler)).size).toBe(2);
  });

  it('started before the server, waits for it; after a restart it subscribes again', async () => {
    const probe = await startCar();
    const port = probe.address()!.port;
    await probe.close();
    const strategy = new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:${port}`, reconnDelay: 50, connTimeout: 500 });
    const statuses: string[] = [];
    strategy.status.subscribe((status) => statuses.push(status));
    const failed = new Promise((resolve) => strategy.on('connectError', resolve));
    await startCollector(strategy); // listening does not wait for the upstream
    await failed;

    let ready = subscribedTo(strategy, '/sensor/');
    let car = await startCar(port);
    await ready;
    let got = nextSeen();
    car.publish('/sensor/a', { param: 1 });
    expect((await got)[0]).toMatchObject({ url: '/sensor/a', param: 1 });

    const dropped = new Promise((resolve) => strategy.on('disconnect', resolve));
    await car.close();
    await dropped;
    ready = subscribedTo(strategy, '/sensor/');
    car = await startCar(port);
    await ready;
    got = nextSeen();
    car.publish('/sensor/b', { param: 2 });
    expect((await got)[0]).toMatchObject({ url: '/sensor/b', param: 2 });
    expect(statuses).toEqual([
      VsoaSubscriberStatus.RECONNECTING,
      VsoaSubscriberStatus.CONNECTED,
      VsoaSubscriberStatus.RECONNECTING,
      VsoaSubscriberStatus.CONNECTED,
    ]);
  });

  it('fans in from several upstreams, telling them apart in the context', async () => {
    const cars = [await startCar(0, 'car-1'), await startCar(0, 'car-2')];
    const urls = cars.map((car) => `vsoa://${HOST}:${car.address()!.port}`);
    const strategy = new VsoaSubscriberStrategy({ upstreams: [urls[0], { url: urls[1], keepalive: 1000 }] });
    const ready = subscribedTo(strategy, '/sensor/speed', 2);
    await startCollector(strategy);
    expect((await ready).sort()).toEqual([...urls].sort());
    expect(strategy.unwrap<VsoaClient[]>().map((client) => client.connected)).toEqual([true, true]);

    let got = nextSeen();
    cars[0].publish('/sensor/speed', { param: 10 });
    expect(await got).toEqual([expect.objectContaining({ upstream: urls[0], param: 10 })]);
    got = nextSeen();
    cars[1].publish('/sensor/speed', { param: 20 });
    expect(await got).toEqual([expect.objectContaining({ upstream: urls[1], param: 20 })]);
  });

  it('refuses to start with a @MessagePattern handler', async () => {
    @Controller()
    class RpcController {
      @MessagePattern('/light')
      light(): string {
        return 'on';
      }
    }
    @Module({ controllers: [RpcController] })
    class WrongModule {}
    const moduleRef = await Test.createTestingModule({ imports: [WrongModule] }).compile();
    const app = moduleRef.createNestMicroservice({ strategy: new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:1` }), logger: false });
    teardowns.push(() => app.close());
    await expect(app.listen()).rejects.toThrow("@MessagePattern('/light') reached VsoaSubscriberStrategy");
  });

  it('sits beside VsoaServerStrategy in one app (a gateway), each handler bound to its transport', async () => {
    const car = await startCar();
    let last: unknown = null;

    @Controller()
    class GatewayController {
      @EventPattern<string>('/sensor/', VSOA_SUBSCRIBER_TRANSPORT)
      fromCar(@Payload() param: unknown): void {
        last = param;
      }

      @MessagePattern('/last', VSOA_TRANSPORT)
      lastReading(): unknown {
        return last;
      }
    }
    @Module({ imports: [VsoaModule.forRoot({ host: HOST, port: 0 })], controllers: [GatewayController] })
    class GatewayModule {}

    const app = await NestFactory.create(GatewayModule, { logger: false });
    teardowns.push(() => app.close());
    const subscriber = new VsoaSubscriberStrategy({ url: `vsoa://${HOST}:${car.address()!.port}` });
    const ready = subscribedTo(subscriber, '/sensor/');
    app.connectMicroservice({ strategy: app.get(VsoaServerStrategy) });
    app.connectMicroservice({ strategy: subscriber });
    await app.startAllMicroservices();
    await ready;

    const caller = new VsoaClient();
    teardowns.push(() => caller.close());
    await caller.connect(`vsoa://${HOST}:${app.get(VsoaServerStrategy).unwrap().address()!.port}`);
    // Each strategy got only its own handlers: the subscriber would refuse to start with /last.
    expect(app.get(VsoaServerStrategy).getHandlers().has('/sensor/')).toBe(false);
    const delivered = once(subscriber.unwrap<VsoaClient>(), 'message');
    car.publish('/sensor/temp', { param: 19 });
    await delivered;
    expect((await caller.fetch('/last')).payload.param).toBe(19);
  });
});

describe('VsoaSubscriberStrategy with the official vsoa server', () => {
  it('consumes its publishes, TCP and quick', async () => {
    const server = new vsoa.Server({ info: { name: 'official' } });
    const port = await startOfficial(server);
    teardowns.push(() => closeOfficial(server));
    const url = `vsoa://${HOST}:${port}`;
    const strategy = new VsoaSubscriberStrategy({ url });
    const ready = subscribedTo(strategy, '/sensor/speed');
    await startCollector(strategy);
    await ready;

    let got = nextSeen(2);
    server.publish('/sensor/temp', { param: { c: 20 } });
    // The official server sends a param only when it is an object.
    server.publish('/sensor/speed', { param: { kmh: 90 } });
    expect(await got).toEqual([
      { handler: 'speed', url: '/sensor/speed', param: { kmh: 90 }, quick: false, upstream: url },
      { handler: 'sensor/', url: '/sensor/temp', param: { c: 20 }, quick: false, upstream: url, info: { name: 'official' } },
    ]);
    got = nextSeen();
    server.publish('/sensor/speed', { param: { kmh: 91 } }, true);
    expect(await got).toEqual([expect.objectContaining({ handler: 'speed', param: { kmh: 91 }, quick: true })]);
  });
});
