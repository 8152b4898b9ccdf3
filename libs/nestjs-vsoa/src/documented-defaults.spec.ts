/**
 * The defaults the guide promises for ClientVsoa, pinned as the documented numbers. Time runs on
 * Jest's fake clock once the socket is up; the socket stays real.
 */
import { firstValueFrom } from 'rxjs';
import { PacketType } from '@vsoa/core';
import { FakeServer, handshakeReply } from '../../../test/helpers/fake-server';
import { ClientVsoa } from './client-vsoa';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  jest.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('send() waits 30 s (30000 ms) for its reply unless told otherwise', async () => {
  const fake = new FakeServer((packet, socket) => {
    if (packet.type === PacketType.SERVINFO) socket.write(handshakeReply(packet.seqno, 1));
  });
  cleanups.push(() => fake.close());
  const port = await fake.listen();
  const client = new ClientVsoa({ port, reconnect: false });
  cleanups.push(() => client.close());
  await client.connect();
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
  const call = firstValueFrom(client.send('/silent', {}));
  let settled = false;
  call.then(
    () => (settled = true),
    () => (settled = true),
  );
  await jest.advanceTimersByTimeAsync(29_900);
  expect(settled).toBe(false);
  await jest.advanceTimersByTimeAsync(200);
  await expect(call).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('30000 ms') });
});
