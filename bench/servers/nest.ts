/** A Nest microservice with one echo handler, on VsoaServerStrategy or on Nest's own TCP transport. */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload, Transport } from '@nestjs/microservices';
import { VsoaServerStrategy } from '@vsoa/nestjs';
import { answerStats, fail, freePort, tell } from '../child';

@Controller()
class EchoController {
  @MessagePattern('/echo')
  echo(@Payload() param: unknown): unknown {
    return param;
  }
}

@Module({ controllers: [EchoController] })
class BenchModule {}

async function main(): Promise<void> {
  const transport = process.argv[2];
  if (transport === 'vsoa') {
    // BENCH_PORT fixes the port, for profiling the server on its own.
    const strategy = new VsoaServerStrategy({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
    const app = await NestFactory.createMicroservice(BenchModule, { strategy, logger: false });
    await app.listen();
    answerStats();
    tell({ type: 'ready', port: strategy.unwrap().address()!.port });
    return;
  }
  const port = process.env.BENCH_PORT ? Number(process.env.BENCH_PORT) : await freePort();
  const app = await NestFactory.createMicroservice(BenchModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
    logger: false,
  });
  await app.listen();
  answerStats();
  tell({ type: 'ready', port });
}

main().catch(fail);
