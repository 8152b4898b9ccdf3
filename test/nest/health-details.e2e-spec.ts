/**
 * VsoaHealthIndicator's numbers and edges: the round trip it reports, its default timeout (on a
 * fake clock), the connect options it passes on, a core VsoaClient as the target, and a probe
 * that never leaves a link open.
 */
import 'reflect-metadata';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { PacketType, PositionServer, VsoaClient, VsoaServer } from '@vsoa/core';
import { ClientVsoa } from '@vsoa/nestjs';
import { VsoaHealthIndicator } from '@vsoa/nestjs/health';
import { FakeServer, handshakeReply } from '../helpers/fake-server';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
const teardowns = teardownsAfterEach();
let health: VsoaHealthIndicator;

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [TerminusModule], providers: [VsoaHealthIndicator] }).compile();
  health = moduleRef.get(VsoaHealthIndicator);
}, 15_000);

async function vsoaServer(passwd?: string): Promise<string> {
  return `vsoa://${HOST}:${(await startServer(passwd)).address()!.port}`;
}

async function startServer(passwd?: string): Promise<VsoaServer> {
  const server = new VsoaServer({ info: { name: 'health' }, passwd });
  await server.listen({ host: HOST, port: 0 });
  teardowns.push(() => server.close());
  return server;
}

/** A server that admits clients (when `admit`) and answers nothing else, pings included. */
async function silentServer(admit: boolean): Promise<{ url: string; fake: FakeServer }> {
  const fake = new FakeServer((packet, socket) => {
    if (admit && packet.type === PacketType.SERVINFO) socket.write(handshakeReply(packet.seqno, 1));
  });
  teardowns.push(() => fake.close());
  return { url: `vsoa://${HOST}:${await fake.listen()}`, fake };
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

it('reports the round trip in ms, to 0.01 ms, never more than the time the check had', async () => {
  const url = await vsoaServer();
  const { svc } = await health.pingCheck('svc', url);
  expect(svc.status).toBe('up');
  const { rtt } = svc as unknown as { rtt: number };
  expect(rtt).toBeGreaterThanOrEqual(0);
  expect(rtt).toBeLessThan(1000);
  expect(Math.abs(rtt * 100 - Math.round(rtt * 100))).toBeLessThan(1e-6);
});

it('passes the connect options on: a password the server wants', async () => {
  const url = await vsoaServer('s3cret');
  expect((await health.pingCheck('svc', url, { passwd: 's3cret' })).svc.status).toBe('up');
  expect((await health.pingCheck('svc', url, { passwd: 'wrong' })).svc).toMatchObject({ status: 'down', code: 'INVALID_PASSWD' });
});

it('checks the link of a core VsoaClient, up while linked and down once closed', async () => {
  const client = new VsoaClient();
  teardowns.push(() => client.close());
  await client.connect(await vsoaServer());
  expect((await health.pingCheck('link', client)).link.status).toBe('up');
  await client.close();
  expect((await health.pingCheck('link', client)).link).toMatchObject({ status: 'down', code: expect.any(String) });
});

it('gives a link whose pings go unanswered the timeout, then is down', async () => {
  const { url } = await silentServer(true);
  const client = new VsoaClient();
  teardowns.push(() => client.close());
  await client.connect(url);
  const started = Date.now();
  expect((await health.pingCheck('link', client, { timeout: 150 })).link).toMatchObject({ status: 'down', code: 'TIMEOUT' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(100);
});

it('closes the probe of a URL whose server admits it but never answers the ping', async () => {
  const { url, fake } = await silentServer(true);
  expect((await health.pingCheck('mute', url, { timeout: 150 })).mute).toMatchObject({ status: 'down', code: 'TIMEOUT' });
  expect(fake.sockets).toHaveLength(1);
  await closed(fake.sockets[0]);
});

it('waits 1 s (1000 ms) by default for a server that never answers', async () => {
  const { url, fake } = await silentServer(false);
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
  teardowns.push(() => jest.useRealTimers());
  let settled = false;
  const check = health.pingCheck('mute', url).finally(() => (settled = true));
  // Let the connection reach the server before time moves.
  while (fake.sockets.length === 0) await new Promise((resolve) => setImmediate(resolve));
  await jest.advanceTimersByTimeAsync(950);
  expect(settled).toBe(false);
  await jest.advanceTimersByTimeAsync(100);
  expect((await check).mute).toMatchObject({ status: 'down', code: 'TIMEOUT', message: expect.stringContaining('1000 ms') });
});

it('checks a round-robin ClientVsoa through a linked replica, and is down when none is', async () => {
  const server = await startServer();
  const position = new PositionServer({ table: { lights: { addr: HOST, port: server.address()!.port } } });
  await position.listen({ host: HOST, port: 0 });
  teardowns.push(() => position.close());
  const client = new ClientVsoa({
    url: 'vsoa://lights',
    balance: 'round-robin',
    reconnDelay: 60_000,
    lookup: {
      sources: ['position'],
      env: { VSOA_POS_SERVER: `${HOST}:${position.address()!.port}` },
      posFile: join(tmpdir(), 'vsoa-no-such-file.pos'),
    },
  });
  teardowns.push(() => client.close());
  expect((await health.pingCheck('pool', client)).pool).toMatchObject({ status: 'down', code: 'NOT_CONNECTED' });
  await client.connect();
  expect((await health.pingCheck('pool', client)).pool).toEqual({ status: 'up', rtt: expect.any(Number) });
  const down = new Promise((resolve) => client.on('disconnect', resolve));
  await server.close();
  await down;
  expect((await health.pingCheck('pool', client)).pool).toMatchObject({ status: 'down', code: 'NOT_CONNECTED' });
});
