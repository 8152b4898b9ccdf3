import 'reflect-metadata';
import {
  CallHandler,
  Catch,
  RpcExceptionFilter,
  UseFilters,
  CanActivate,
  Controller,
  ExecutionContext,
  Injectable,
  INestMicroservice,
  Module,
  NestInterceptor,
  ParseIntPipe,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom, map, Observable, of, Subject, take, throwError, toArray } from 'rxjs';
import { METHOD_SET, VsoaClient, VsoaStatus } from '@vsoa/core';
import { nextEvent } from '../helpers/events';
import {
  ClientVsoa,
  VsoaContext,
  VsoaExceptionFilter,
  VsoaModule,
  VsoaPublisher,
  VsoaRecordBuilder,
  VsoaServerStrategy,
} from '@vsoa/nestjs';

const releaseLate = new Subject<void>();
const datagrams = new Subject<{ url: string; param: unknown; quick: boolean; clientId: number }>();

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Injectable()
class WrapInterceptor implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value) => ({ wrapped: value })));
  }
}

class DeviceOfflineError extends Error {}

/** An app's own filter: turns a domain error into a VSOA status of its choosing. */
@Catch(DeviceOfflineError)
class DeviceOfflineFilter implements RpcExceptionFilter<DeviceOfflineError> {
  catch(error: DeviceOfflineError): Observable<never> {
    return throwError(() => new RpcException({ status: 131, message: `offline: ${error.message}` }));
  }
}

@Controller()
class LightController {
  private state = { on: false };

  constructor(private readonly publisher: VsoaPublisher) {}

  @MessagePattern('/light')
  light(@Payload() param: { on?: boolean } | undefined, @Ctx() ctx: VsoaContext): { on: boolean } {
    if (ctx.method === 'SET') {
      this.state = { on: Boolean(param?.on) };
      this.publisher.publish('/light', this.state);
    }
    return this.state;
  }

  @MessagePattern('/ctx/')
  context(@Ctx() ctx: VsoaContext): unknown {
    return { url: ctx.url, method: ctx.method, seqno: ctx.seqno, clientId: ctx.clientId, address: ctx.remoteAddress.address };
  }

  /** Answers when the test says so. */
  @MessagePattern('/late')
  late(): Promise<string> {
    return firstValueFrom(releaseLate).then(() => 'late');
  }

  @MessagePattern('/async')
  async later(@Payload('n') n: number): Promise<number> {
    return n * 2;
  }

  @MessagePattern('/observable')
  many(): Observable<number> {
    return of(1, 2, 3);
  }

  @MessagePattern('/binary')
  binary(@Ctx() ctx: VsoaContext): { param: unknown; data: Buffer } {
    return { param: { size: ctx.data?.length ?? 0 }, data: Buffer.from([9, 8, 7]) };
  }

  @MessagePattern('/teapot')
  teapot(): never {
    throw new RpcException({ status: 130, message: 'I am a teapot' });
  }

  @MessagePattern('/bug')
  bug(): never {
    throw new Error('unexpected');
  }

  @MessagePattern('/offline')
  @UseFilters(DeviceOfflineFilter)
  offline(): never {
    throw new DeviceOfflineError('lamp 2');
  }

  @MessagePattern('/guarded')
  @UseGuards(DenyGuard)
  guarded(): string {
    return 'never';
  }

  @MessagePattern('/intercepted')
  @UseInterceptors(WrapInterceptor)
  intercepted(): number {
    return 7;
  }

  @MessagePattern('/int')
  int(@Payload('n', ParseIntPipe) n: number): number {
    return n + 1;
  }

  @EventPattern<string>('/sensor/')
  sensor(@Payload() param: unknown, @Ctx() ctx: VsoaContext): void {
    datagrams.next({ url: ctx.url, param, quick: ctx.quick, clientId: ctx.clientId });
  }
}

@Module({ imports: [VsoaModule.forRoot({ host: '127.0.0.1', port: 0, info: { name: 'nest' } })], controllers: [LightController] })
class AppModule {}

describe('VsoaServerStrategy in a Nest app', () => {
  let app: INestMicroservice;
  let url: string;
  let client: VsoaClient;
  let proxy: ClientVsoa;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const strategy = moduleRef.get(VsoaServerStrategy);
    app = moduleRef.createNestMicroservice({ strategy });
    app.useGlobalFilters(new VsoaExceptionFilter());
    await app.listen();
    url = `vsoa://127.0.0.1:${strategy.unwrap().address()!.port}`;
    client = new VsoaClient({ timeout: 3000 });
    await client.connect(url);
    proxy = new ClientVsoa({ url, timeout: 3000 });
    await proxy.connect();
  });

  afterAll(async () => {
    await proxy?.close();
    await client?.close();
    await app?.close();
  });

  it('serves @MessagePattern handlers as RPC commands, GET and SET', async () => {
    expect((await client.fetch('/light')).payload.param).toEqual({ on: false });
    expect((await client.fetch('/light', { method: 'SET', payload: { param: { on: true } } })).payload.param).toEqual({ on: true });
  });

  it('gives the handler its context, prefix URLs included', async () => {
    const reply = await client.fetch('/ctx/deep/x', { method: 'SET' });
    expect(reply.payload.param).toEqual({
      url: '/ctx/deep/x',
      method: 'SET',
      seqno: reply.seqno,
      clientId: client.id,
      address: '127.0.0.1',
    });
  });

  it('replies with a promise result, and with the last value of an Observable', async () => {
    expect((await client.fetch('/async', { payload: { param: { n: 21 } } })).payload.param).toBe(42);
    expect((await client.fetch('/observable')).payload.param).toBe(3);
  });

  it('carries binary data both ways', async () => {
    const reply = await client.fetch('/binary', { payload: { data: Buffer.alloc(5) } });
    expect(reply.payload).toEqual({ param: { size: 5 }, data: Buffer.from([9, 8, 7]) });
  });

  it('maps RpcException statuses, denied guards, pipe failures and plain errors to VSOA statuses', async () => {
    expect(await client.fetch('/teapot')).toMatchObject({ status: 130, payload: { param: { error: 'I am a teapot' } } });
    expect((await client.fetch('/guarded')).status).toBe(VsoaStatus.NO_PERMISSIONS);
    expect((await client.fetch('/int', { payload: { param: { n: 'abc' } } })).status).toBe(VsoaStatus.ARGUMENTS);
    expect((await client.fetch('/int', { payload: { param: { n: '41' } } })).payload.param).toBe(42);
    expect((await client.fetch('/bug')).status).toBe(VsoaStatus.NO_RESPONDING);
    expect((await client.fetch('/nothing-here')).status).toBe(VsoaStatus.INVALID_URL);
  });

  it('applies an exception filter of the app', async () => {
    expect(await client.fetch('/offline')).toMatchObject({ status: 131, payload: { param: { error: 'offline: lamp 2' } } });
  });

  it('runs interceptors', async () => {
    expect((await client.fetch('/intercepted')).payload.param).toEqual({ wrapped: 7 });
  });

  it('delivers reliable and quick datagrams to @EventPattern handlers by prefix', async () => {
    const got = firstValueFrom(datagrams.pipe(take(2), toArray()));
    client.datagram('/sensor/speed', { param: 10 });
    client.datagram('/sensor/temp', { param: 20 }, { quick: true });
    const seen = await got;
    // TCP and UDP are separate paths: either may arrive first.
    seen.sort((a, b) => a.url.localeCompare(b.url));
    expect(seen).toEqual([
      { url: '/sensor/speed', param: 10, quick: false, clientId: client.id },
      { url: '/sensor/temp', param: 20, quick: true, clientId: client.id },
    ]);
  });

  describe('ClientVsoa', () => {
    it('send() resolves the reply param; a non-zero status errors with status and message', async () => {
      expect(await firstValueFrom(proxy.send('/async', { n: 5 }))).toBe(10);
      await expect(firstValueFrom(proxy.send('/teapot', {}))).rejects.toMatchObject({ status: 130, message: 'I am a teapot' });
    });

    it('builds SET calls with binary data and a timeout with the record builder', async () => {
      const record = new VsoaRecordBuilder({ on: true }).setMethod('SET').setTimeout(2000).build();
      expect(await firstValueFrom(proxy.send('/light', record))).toEqual({ on: true });
      // The method as a Python port or the official package gives it; a typo is refused, never sent as GET.
      expect(await firstValueFrom(proxy.send('/light', new VsoaRecordBuilder({ on: false }).setMethod('set').build()))).toEqual({
        on: false,
      });
      expect(await firstValueFrom(proxy.send('/light', new VsoaRecordBuilder({ on: true }).setMethod(METHOD_SET).build()))).toEqual({
        on: true,
      });
      expect(() => new VsoaRecordBuilder({}).setMethod('PUT' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      const withData = new VsoaRecordBuilder({}).setData(Buffer.alloc(3)).build();
      expect(await firstValueFrom(proxy.send('/binary', withData))).toEqual({ param: { size: 3 }, data: Buffer.from([9, 8, 7]) });
    });

    it("a record's timeout, param and quick flag are the call's", async () => {
      const started = Date.now();
      const late = firstValueFrom(proxy.send('/late', new VsoaRecordBuilder({}).setTimeout(150).build()));
      await expect(late).rejects.toMatchObject({ code: 'TIMEOUT' });
      // Well before the client's own 3000 ms.
      expect(Date.now() - started).toBeLessThan(2000);
      releaseLate.next();
      expect(await firstValueFrom(proxy.send('/async', new VsoaRecordBuilder<{ n: number }>().setParam({ n: 4 }).build()))).toBe(8);
      const got = firstValueFrom(datagrams.pipe(take(2), toArray()));
      await firstValueFrom(proxy.emit('/sensor/q', new VsoaRecordBuilder(5).setQuick().build()), { defaultValue: undefined });
      await firstValueFrom(proxy.emit('/sensor/r', new VsoaRecordBuilder(6).setQuick(false).build()), { defaultValue: undefined });
      const seen = (await got).sort((a, b) => a.url.localeCompare(b.url));
      expect(seen.map(({ url, param, quick }) => [url, param, quick])).toEqual([
        ['/sensor/q', 5, true],
        ['/sensor/r', 6, false],
      ]);
    });

    it('emit() sends a datagram', async () => {
      const got = firstValueFrom(datagrams);
      await firstValueFrom(proxy.emit('/sensor/x', { v: 1 }), { defaultValue: undefined });
      expect(await got).toMatchObject({ url: '/sensor/x', param: { v: 1 }, quick: false });
    });

    it('subscribe() delivers what handlers publish through the VsoaPublisher', async () => {
      const server = app.get(VsoaServerStrategy).unwrap();
      const remote = server.clients().find((cli) => cli.id === proxy.unwrap<VsoaClient>().id)!;
      const subscribed = nextEvent(remote, 'subscribe');
      const first = firstValueFrom(proxy.subscribe<{ on: boolean }>('/light'));
      await subscribed;
      await client.fetch('/light', { method: 'SET', payload: { param: { on: false } } });
      expect(await first).toEqual({ url: '/light', param: { on: false }, data: undefined, quick: false });
    });

    it('unwrap() gives the core client', () => {
      expect(proxy.unwrap<VsoaClient>().connected).toBe(true);
    });
  });
});
