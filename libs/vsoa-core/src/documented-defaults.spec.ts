/**
 * The numbers the README, the guide and the porting guide promise, pinned as those numbers (not
 * as the implementation's own constants): a change to any of them has to change the docs too.
 * Time runs on Jest's fake clock once the sockets are up; the sockets stay real.
 */
import { Socket } from 'node:net';
import { FakeServer, handshakeReply } from '../../../test/helpers/fake-server';
import { nextEvent } from '../../../test/helpers/events';
import { VsoaClient } from './client/client';
import { PacketType } from './protocol/constants';
import { BAD_PARAM, decodeParam } from './protocol/payload';
import { VsoaServer } from './server/server';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  jest.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Fake time for timers and Date; I/O callbacks and ticks stay real. */
function fakeClock(): void {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
}

/** A server that admits clients and then never answers: what it received is in `received`. */
async function silentServer(): Promise<{ fake: FakeServer; url: string; packets: (type: number) => number }> {
  const fake = new FakeServer((packet, socket: Socket) => {
    if (packet.type === PacketType.SERVINFO) socket.write(handshakeReply(packet.seqno, 1));
  });
  cleanups.push(() => fake.close());
  const port = await fake.listen();
  return { fake, url: `vsoa://127.0.0.1:${port}`, packets: (type) => fake.received.filter((p) => p.type === type).length };
}

/** Whether `promise` has settled, without waiting for it. */
function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
}

it('a call waits 60 s (60000 ms) for its reply unless told otherwise', async () => {
  const { url } = await silentServer();
  const client = new VsoaClient();
  cleanups.push(() => client.close());
  await client.connect(url);
  fakeClock();
  const call = client.fetch('/silent');
  call.catch(() => undefined);
  const settled = settledFlag(call);
  await jest.advanceTimersByTimeAsync(59_900);
  expect(settled()).toBe(false);
  await jest.advanceTimersByTimeAsync(200);
  await expect(call).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('60000 ms') });
});

it('connect allows 10 s (10000 ms) for the TCP connect and the handshake', async () => {
  const fake = new FakeServer();
  cleanups.push(() => fake.close());
  const port = await fake.listen();
  const client = new VsoaClient();
  cleanups.push(() => client.close());
  fakeClock();
  const handshakeSent = new Promise<void>((resolve) => fake.onPacket(() => resolve()));
  const attempt = client.connect(`vsoa://127.0.0.1:${port}`);
  attempt.catch(() => undefined);
  const settled = settledFlag(attempt);
  await handshakeSent;
  await jest.advanceTimersByTimeAsync(9_900);
  expect(settled()).toBe(false);
  await jest.advanceTimersByTimeAsync(200);
  await expect(attempt).rejects.toMatchObject({ code: 'SERVER_NO_RESPONDING' });
});

it('the robot pings every 3000 ms, drops the link after 3 lost pings, and reconnects 1000 ms later', async () => {
  const { fake, url, packets } = await silentServer();
  const client = new VsoaClient();
  cleanups.push(() => client.close());
  fakeClock();
  const linked = nextEvent(client, 'connect', () => true, 60_000);
  client.robot(url);
  await linked;
  await jest.advanceTimersByTimeAsync(2_900);
  expect(packets(PacketType.PINGECHO)).toBe(0);
  const firstPing = new Promise<void>((resolve) => fake.onPacket((p) => p.type === PacketType.PINGECHO && resolve()));
  await jest.advanceTimersByTimeAsync(200);
  await firstPing;
  // None is answered: the link goes after the third.
  const dropped = nextEvent(client, 'disconnect', () => true, 60_000);
  let waited = 0;
  while (client.connected && waited < 60_000) {
    await jest.advanceTimersByTimeAsync(100);
    waited += 100;
  }
  await dropped;
  expect(packets(PacketType.PINGECHO)).toBe(3);
  const connections = fake.sockets.length;
  await jest.advanceTimersByTimeAsync(900);
  expect(fake.sockets.length).toBe(connections);
  const relinked = nextEvent(client, 'connect', () => true, 60_000);
  await jest.advanceTimersByTimeAsync(200);
  await relinked;
  expect(fake.sockets.length).toBe(connections + 1);
});

it("a server's stream tunnel waits 5 s (5000 ms) for its client", async () => {
  const server = new VsoaServer();
  cleanups.push(() => server.close());
  await server.listen({ host: '127.0.0.1', port: 0 });
  fakeClock();
  const stream = await server.createStream();
  const timedOut = settledFlag(nextEvent(stream, 'timeout', () => true, 60_000));
  await jest.advanceTimersByTimeAsync(4_900);
  expect(timedOut()).toBe(false);
  await jest.advanceTimersByTimeAsync(200);
  await Promise.resolve();
  expect(timedOut()).toBe(true);
});

it('params nest up to 256 levels; 257 are refused before parsing', () => {
  const nested = (depth: number): Buffer => Buffer.from('['.repeat(depth) + ']'.repeat(depth));
  expect(decodeParam(nested(256), false)).not.toBe(BAD_PARAM);
  expect(decodeParam(nested(257), false)).toBe(BAD_PARAM);
});

it('a packet is at most 256 KiB, a quick datagram carries at most 65484 bytes of URL and data', async () => {
  const server = new VsoaServer();
  cleanups.push(() => server.close());
  await server.listen({ host: '127.0.0.1', port: 0 });
  const client = new VsoaClient();
  cleanups.push(() => client.close());
  await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
  const url = '/q';
  expect(client.datagram(url, { data: Buffer.alloc(65_484 - url.length) }, { quick: true })).toBe(true);
  expect(() => client.datagram(url, { data: Buffer.alloc(65_484 - url.length + 1) }, { quick: true })).toThrow(
    expect.objectContaining({ code: 'TOO_LARGE' }),
  );
  // A reliable one: 20 bytes of header, the URL, the data, within 256 KiB.
  expect(client.datagram(url, { data: Buffer.alloc(256 * 1024 - 20 - url.length - 4) })).toBe(true);
  expect(() => client.datagram(url, { data: Buffer.alloc(256 * 1024) })).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
});
