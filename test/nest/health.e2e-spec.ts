/**
 * VsoaHealthIndicator with @nestjs/terminus: the demo's GET /health follows its own VSOA server,
 * a ClientVsoa's link is checked through its ping, and a silent server is down within the timeout.
 */
import 'reflect-metadata';
import '../demo/demo-env';
import { createServer, type Server, type Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { VsoaServer } from '@vsoa/core';
import { ClientVsoa, VsoaServerStrategy } from '@vsoa/nestjs';
import { VsoaHealthIndicator } from '@vsoa/nestjs/health';
import { AppModule } from '../../apps/demo/src/app.module';
import { nextEvent } from '../helpers/events';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
const teardowns = teardownsAfterEach();

interface HealthBody {
  status: string;
  info?: Record<string, { status: string; rtt?: number }>;
  error?: Record<string, { status: string; message?: string; code?: string }>;
}

async function indicator(): Promise<VsoaHealthIndicator> {
  const moduleRef = await Test.createTestingModule({ imports: [TerminusModule], providers: [VsoaHealthIndicator] }).compile();
  teardowns.push(() => moduleRef.close());
  return moduleRef.get(VsoaHealthIndicator);
}

async function vsoaServer(): Promise<{ server: VsoaServer; url: string }> {
  const server = new VsoaServer({ info: { name: 'health' } });
  await server.listen({ host: HOST, port: 0 });
  teardowns.push(() => server.close());
  return { server, url: `vsoa://${HOST}:${server.address()!.port}` };
}

it('demo: GET /health is up with the round trip, then 503 once the VSOA server stops', async () => {
  const app: INestApplication = await NestFactory.create(AppModule, { logger: false });
  teardowns.push(() => app.close());
  const strategy = app.get(VsoaServerStrategy);
  app.connectMicroservice({ strategy });
  await app.startAllMicroservices();
  await app.listen(0, HOST);
  const health = `http://${HOST}:${(app.getHttpServer().address() as { port: number }).port}/health`;

  const up = await fetch(health);
  const upBody = (await up.json()) as HealthBody;
  expect(up.status).toBe(200);
  expect(upBody.status).toBe('ok');
  expect(upBody.info?.vsoa).toEqual({ status: 'up', rtt: expect.any(Number) });

  await strategy.close();
  const down = await fetch(health);
  const downBody = (await down.json()) as HealthBody;
  expect(down.status).toBe(503);
  expect(downBody.status).toBe('error');
  expect(downBody.error?.vsoa).toMatchObject({ status: 'down', code: 'CONNECT_ERROR' });
});

it('checks a server by URL: up, then down with the connect error once it closed', async () => {
  const health = await indicator();
  const { server, url } = await vsoaServer();
  const up = await health.pingCheck('svc', url);
  expect(up.svc).toEqual({ status: 'up', rtt: expect.any(Number) });
  await nextEvent(server, 'client', (_cli, connected) => connected === false); // the probe closed its link

  await server.close();
  expect((await health.pingCheck('svc', url)).svc).toMatchObject({ status: 'down', code: 'CONNECT_ERROR' });
});

it("checks a ClientVsoa's link: down before connect, up while linked, down once the link dropped", async () => {
  const health = await indicator();
  const { server, url } = await vsoaServer();
  const client = new ClientVsoa({ url, reconnDelay: 60_000 });
  teardowns.push(() => client.close());
  expect((await health.pingCheck('link', client)).link).toMatchObject({ status: 'down', code: 'NOT_CONNECTED' });

  await client.connect();
  expect((await health.pingCheck('link', client)).link).toEqual({ status: 'up', rtt: expect.any(Number) });

  const dropped = nextEvent(client.unwrap(), 'disconnect');
  await server.close();
  await dropped;
  expect((await health.pingCheck('link', client)).link).toMatchObject({ status: 'down', code: 'NOT_CONNECTED' });
});

it('is down within the timeout when a server accepts but never answers', async () => {
  const health = await indicator();
  const sockets: Socket[] = [];
  const silent: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, HOST, resolve));
  teardowns.push(() => new Promise((resolve) => silent.close(resolve)));
  teardowns.push(() => sockets.forEach((socket) => socket.destroy()));

  const started = Date.now();
  const result = await health.pingCheck('mute', `vsoa://${HOST}:${(silent.address() as { port: number }).port}`, { timeout: 300 });
  expect(result.mute.status).toBe('down');
  expect(Date.now() - started).toBeLessThan(2000);
});
