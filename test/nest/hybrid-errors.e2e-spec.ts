import 'reflect-metadata';
import { Body, Controller, Get, INestApplication, Module, Put, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import { VsoaClient, VsoaStatus } from '@vsoa/core';
import { ClientVsoa, VsoaExceptionFilter, VsoaModule, VsoaRecordBuilder, VsoaRpcError, VsoaServerStrategy } from '@vsoa/nestjs';

/** As the guide has it: a SET changes what it names, a GET carries none of it. */
class LightChange {
  @IsOptional()
  @IsBoolean()
  on?: boolean;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  brightness?: number;
}

@Controller()
class LightController {
  @MessagePattern('/light')
  setLight(@Payload() change: LightChange): LightChange {
    return change;
  }

  @Put('light')
  putLight(@Body() change: LightChange): LightChange {
    return change;
  }

  @MessagePattern('/bug')
  vsoaBug(): never {
    throw new Error('the lamp driver crashed');
  }

  @Get('bug')
  httpBug(): never {
    throw new Error('the lamp driver crashed');
  }
}

/** The hybrid set-up as docs/guide.md shows it. */
@Module({
  imports: [VsoaModule.forRoot({ host: '127.0.0.1', port: 0 })],
  controllers: [LightController],
  providers: [{ provide: APP_FILTER, useClass: VsoaExceptionFilter }],
})
class AppModule {}

async function bootstrap(module: unknown): Promise<INestApplication> {
  const app = await NestFactory.create(module as typeof AppModule, { logger: false });
  app.useGlobalPipes(new ValidationPipe());
  app.connectMicroservice({ strategy: app.get(VsoaServerStrategy) }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  return app;
}

const TOO_BRIGHT = { on: true, brightness: 101 };

describe('errors in a hybrid app, set up as the guide shows', () => {
  let app: INestApplication;
  let http: string;
  let client: VsoaClient;
  let proxy: ClientVsoa;

  beforeAll(async () => {
    app = await bootstrap(AppModule);
    http = await app.getUrl();
    const url = `vsoa://127.0.0.1:${app.get(VsoaServerStrategy).unwrap().address()!.port}`;
    client = new VsoaClient({ timeout: 3000 });
    await client.connect(url);
    proxy = new ClientVsoa({ url, timeout: 3000 });
  });

  afterAll(async () => {
    await proxy?.close();
    await client?.close();
    await app?.close();
  });

  it('answers a validation failure with ARGUMENTS and the body an HTTP caller gets', async () => {
    const response = await fetch(`${http}/light`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(TOO_BRIGHT),
    });
    const body: unknown = await response.json();
    expect(response.status).toBe(400);
    expect(body).toEqual({ statusCode: 400, error: 'Bad Request', message: ['brightness must not be greater than 100'] });

    const reply = await client.fetch('/light', { method: 'SET', payload: { param: TOO_BRIGHT } });
    expect(reply.status).toBe(VsoaStatus.ARGUMENTS);
    expect(reply.payload.param).toEqual(body);
  });

  it('gives ClientVsoa callers a VsoaRpcError carrying those messages', async () => {
    const record = new VsoaRecordBuilder({ on: 'yes', brightness: -1 }).setMethod('SET').build();
    const error = await firstValueFrom(proxy.send('/light', record)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsoaRpcError);
    expect(error).toMatchObject({
      status: VsoaStatus.ARGUMENTS,
      message: 'on must be a boolean value; brightness must not be less than 0',
    });
  });

  it('passes valid input on both sides, and a GET without a param', async () => {
    expect((await client.fetch('/light')).status).toBe(VsoaStatus.SUCCESS);
    const valid = { on: true, brightness: 40 };
    expect((await client.fetch('/light', { method: 'SET', payload: { param: valid } })).payload.param).toEqual(valid);
    const response = await fetch(`${http}/light`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(valid),
    });
    expect(await response.json()).toEqual(valid);
  });

  it('answers an unexpected error with NO_RESPONDING over VSOA, and as Nest does over HTTP', async () => {
    expect(await client.fetch('/bug')).toMatchObject({
      status: VsoaStatus.NO_RESPONDING,
      payload: { param: { error: 'the lamp driver crashed' } },
    });
    const response = await fetch(`${http}/bug`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
  });

  it('without the filter, Nest hides the error: NO_RESPONDING, "Internal server error"', async () => {
    @Module({ imports: [VsoaModule.forRoot({ host: '127.0.0.1', port: 0 })], controllers: [LightController] })
    class BareModule {}
    const bare = await bootstrap(BareModule);
    const other = new VsoaClient({ timeout: 3000 });
    try {
      await other.connect(`vsoa://127.0.0.1:${bare.get(VsoaServerStrategy).unwrap().address()!.port}`);
      const reply = await other.fetch('/light', { method: 'SET', payload: { param: TOO_BRIGHT } });
      expect(reply).toMatchObject({ status: VsoaStatus.NO_RESPONDING, payload: { param: { error: 'Internal server error' } } });
    } finally {
      await other.close();
      await bare.close();
    }
  });

  it('given the HTTP adapter by hand, answers an HTTP route as Nest does, and a VSOA call with the status', async () => {
    @Module({ imports: [VsoaModule.forRoot({ host: '127.0.0.1', port: 0 })], controllers: [LightController] })
    class HandModule {}
    const hand = await NestFactory.create(HandModule, { logger: false });
    hand.useGlobalFilters(new VsoaExceptionFilter(hand.getHttpAdapter()));
    hand.connectMicroservice({ strategy: hand.get(VsoaServerStrategy) }, { inheritAppConfig: true });
    const other = new VsoaClient({ timeout: 3000 });
    try {
      await hand.startAllMicroservices();
      await hand.listen(0, '127.0.0.1');
      const response = await fetch(`${await hand.getUrl()}/bug`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
      await other.connect(`vsoa://127.0.0.1:${hand.get(VsoaServerStrategy).unwrap().address()!.port}`);
      expect(await other.fetch('/bug')).toMatchObject({
        status: VsoaStatus.NO_RESPONDING,
        payload: { param: { error: 'the lamp driver crashed' } },
      });
    } finally {
      await other.close();
      await hand.close();
    }
  });
});
