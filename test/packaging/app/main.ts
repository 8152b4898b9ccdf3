/**
 * The app the packaging test installs the packed @vsoa/core and @vsoa/nestjs into: a hybrid Nest
 * app with a VSOA `/echo` handler and a Terminus `/health`, called through ClientVsoa and HTTP.
 * It prints one JSON line with what it got; test/packaging/run.js checks it.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { firstValueFrom } from 'rxjs';
import type { VsoaServer } from '@vsoa/core';
import { ClientVsoa, VsoaModule, VsoaServerStrategy } from '@vsoa/nestjs';
import { VsoaHealthIndicator } from '@vsoa/nestjs/health';

const HOST = '127.0.0.1';

// The run skips checking library .d.ts files (for speed), where an import that does not resolve
// reads as `any`: these lines compile only while the packed declarations reach @vsoa/core's types.
// @ts-expect-error a number is not a payload
export const payloadTyped: Parameters<VsoaServerStrategy['publish']>[1] = 0;
// @ts-expect-error a number is not a health target
export const targetTyped: Parameters<VsoaHealthIndicator['pingCheck']>[1] = 0;

@Controller()
class EchoController {
  @MessagePattern('/echo')
  echo(@Payload() param: unknown): unknown {
    return param;
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly vsoa: VsoaHealthIndicator,
    private readonly strategy: VsoaServerStrategy,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    const server: VsoaServer = this.strategy.unwrap();
    return this.health.check([() => this.vsoa.pingCheck('vsoa', `vsoa://${HOST}:${server.address()?.port}`)]);
  }
}

@Module({
  imports: [VsoaModule.forRoot({ host: HOST, port: 0 }), TerminusModule],
  controllers: [EchoController, HealthController],
  providers: [VsoaHealthIndicator],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  const strategy = app.get(VsoaServerStrategy);
  app.connectMicroservice({ strategy });
  await app.startAllMicroservices();
  await app.listen(0, HOST);
  const client = new ClientVsoa({ url: `vsoa://${HOST}:${strategy.unwrap().address()?.port}` });
  try {
    // The first call connects the client, the second one goes out on the open link.
    await firstValueFrom(client.send<unknown>('/echo', { warm: 'up' }));
    const echo = await firstValueFrom(client.send<unknown>('/echo', { hello: 'nest' }));
    const http = (app.getHttpServer() as { address(): { port: number } }).address().port;
    const health = (await (await fetch(`http://${HOST}:${http}/health`)).json()) as HealthCheckResult;
    console.log(JSON.stringify({ echo, health }));
  } finally {
    await client.close();
    await app.close();
  }
}

setTimeout(() => {
  console.error('packaging app: no result within 20 s');
  process.exit(1);
}, 20_000).unref();

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
