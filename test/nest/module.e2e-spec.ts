import 'reflect-metadata';
import { Controller, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ClientProxy, ClientsModule, MessagePattern } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { VsoaClient, WorkQueue } from '@vsoa/core';
import {
  ClientVsoa,
  InjectWorkQueue,
  VsoaModule,
  VsoaModuleAsyncOptions,
  VsoaOptionsFactory,
  VsoaServerStrategy,
  VsoaServerStrategyOptions,
} from '@vsoa/nestjs';
import { teardownsAfterEach } from '../helpers/teardowns';

const teardowns = teardownsAfterEach();

@Injectable()
class Queued {
  constructor(@InjectWorkQueue('device') readonly queue: WorkQueue) {}
}

@Controller()
class InfoController {
  @MessagePattern('/device', { workQueue: 'device' })
  device(): string {
    return 'queued';
  }
}

/** Options from a class, as `useClass` / `useExisting` take them. */
@Injectable()
class VsoaConfig implements VsoaOptionsFactory {
  constructor(private readonly config: ConfigService) {}

  createVsoaOptions(): VsoaServerStrategyOptions {
    return {
      host: '127.0.0.1',
      port: 0,
      info: { name: this.config.getOrThrow<string>('VSOA_NAME') },
      passwd: this.config.get('VSOA_PASSWD'),
    };
  }
}

const configModule = ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ VSOA_NAME: 'from-config', VSOA_PASSWD: 's3cret' })] });

/** Starts an app with VsoaModule configured by `async`, connects a client; returns what it learnt. */
async function serve(async: VsoaModuleAsyncOptions): Promise<{ info: unknown; queue: WorkQueue; strategy: VsoaServerStrategy }> {
  @Module({ imports: [configModule, VsoaModule.forRootAsync(async)], controllers: [InfoController], providers: [Queued] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const strategy = moduleRef.get(VsoaServerStrategy);
  const app = moduleRef.createNestMicroservice({ strategy });
  await app.listen();
  teardowns.push(() => app.close());
  const client = new VsoaClient();
  teardowns.push(() => client.close());
  const info = await client.connect(`vsoa://127.0.0.1:${strategy.unwrap().address()!.port}`, { passwd: 's3cret' });
  expect((await client.fetch('/device')).payload.param).toBe('queued');
  return { info, queue: moduleRef.get(Queued).queue, strategy };
}

describe('VsoaModule', () => {
  it('forRootAsync takes its options from a factory that injects ConfigService', async () => {
    const { info, queue, strategy } = await serve({
      imports: [configModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        host: '127.0.0.1',
        port: 0,
        info: { name: config.getOrThrow<string>('VSOA_NAME') },
        passwd: config.get<string>('VSOA_PASSWD'),
      }),
      workQueues: ['device'],
    });
    expect(info).toEqual({ name: 'from-config' });
    // The queue the handler ran on is the one the app injects.
    expect(queue).toBe(strategy.workQueue('device'));
  });

  it('forRootAsync takes a useClass factory, and an existing provider', async () => {
    expect((await serve({ imports: [configModule], useClass: VsoaConfig, workQueues: ['device'] })).info).toEqual({ name: 'from-config' });

    @Module({ imports: [configModule], providers: [VsoaConfig], exports: [VsoaConfig] })
    class OptionsModule {}
    expect((await serve({ imports: [OptionsModule], useExisting: VsoaConfig, workQueues: ['device'] })).info).toEqual({
      name: 'from-config',
    });
  });

  it('forRoot still takes the options and the queue names in one object', async () => {
    @Module({
      imports: [VsoaModule.forRoot({ host: '127.0.0.1', port: 0, info: { name: 'plain' }, workQueues: ['device'] })],
      providers: [Queued],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    teardowns.push(() => moduleRef.close());
    expect(moduleRef.get(Queued).queue).toBe(moduleRef.get(VsoaServerStrategy).workQueue('device'));
  });

  it('lets ClientsModule.register take ClientVsoa as its customClass', async () => {
    const strategy = new VsoaServerStrategy({ host: '127.0.0.1', port: 0 });
    await new Promise<unknown>((resolve) => strategy.listen(resolve));
    teardowns.push(() => strategy.close());
    strategy.unwrap().command('/ping', (cli, req) => cli.reply(req.seqno, { param: 'pong' }));
    const url = `vsoa://127.0.0.1:${strategy.unwrap().address()!.port}`;

    @Module({ imports: [ClientsModule.register([{ name: 'CAR', customClass: ClientVsoa, options: { url } }])] })
    class CallerModule {}
    const caller = await Test.createTestingModule({ imports: [CallerModule] }).compile();
    teardowns.push(() => caller.close());
    const car = caller.get<ClientProxy>('CAR');
    expect(car).toBeInstanceOf(ClientVsoa);
    expect(await firstValueFrom(car.send('/ping', {}))).toBe('pong');
  });
});
