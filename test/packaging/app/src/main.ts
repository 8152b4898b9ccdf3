import 'reflect-metadata';
import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { VsoaServerStrategy } from '@vsoa/nestjs';
import { AppModule } from './app.module';

/** The README's main.ts: HTTP and VSOA in one app, global pipes and filters shared. */
export async function bootstrap(): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.useGlobalPipes(new ValidationPipe()); // brightness 101 → ARGUMENTS (2), the messages in the reply's param
  app.connectMicroservice({ strategy: app.get(VsoaServerStrategy) }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  return app;
}

/** The VSOA port the app listens on (it asked for port 0). */
export function vsoaPort(app: INestApplication): number {
  return app.get(VsoaServerStrategy).unwrap().address()!.port;
}
