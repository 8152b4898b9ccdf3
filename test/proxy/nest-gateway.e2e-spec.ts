/** The gateway inside a Nest app: handlers serve their URLs, the rest of a prefix goes upstream. */
import 'reflect-metadata';
import { once } from 'node:events';
import { Controller, Module } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { VsoaClient, VsoaServer } from '@vsoa/core';
import { VsoaModule, VsoaServerStrategy } from '@vsoa/nestjs';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
const teardowns = teardownsAfterEach();

@Controller()
class LocalController {
  @MessagePattern('/car/status')
  status(): string {
    return 'answered by the Nest app';
  }
}

it('routes a prefix to an upstream while the app handles its own URLs under it', async () => {
  const upstream = new VsoaServer({ info: { name: 'car' } });
  upstream.command('/', (cli, req) => cli.reply(req.seqno, { param: `upstream ${req.url}` }));
  await upstream.listen({ host: HOST, port: 0 });
  teardowns.push(() => upstream.close());

  @Module({
    imports: [
      VsoaModule.forRoot({
        host: HOST,
        port: 0,
        proxy: { '/car': { url: `vsoa://${HOST}:${upstream.address()!.port}`, reconnDelay: 50 } },
      }),
    ],
    controllers: [LocalController],
  })
  class GatewayModule {}
  const moduleRef = await Test.createTestingModule({ imports: [GatewayModule] }).compile();
  const strategy = moduleRef.get(VsoaServerStrategy);
  const app = moduleRef.createNestMicroservice({ strategy });
  await app.listen();
  teardowns.push(() => app.close());
  const link = strategy.upstream('/car')!;
  if (!link.connected) await once(link, 'connect');

  const client = new VsoaClient({ timeout: 3000 });
  teardowns.push(() => client.close());
  await client.connect(`vsoa://${HOST}:${strategy.unwrap().address()!.port}`);
  expect((await client.fetch('/car/status')).payload.param).toBe('answered by the Nest app');
  expect((await client.fetch('/car/doors/left')).payload.param).toBe('upstream /doors/left');
});
