/**
 * The packet writer on real loopback sockets: what leaves when (a turn's packets together, big
 * packets and full batches at once), and when a peer is given up (queue over budget, or stuck).
 * Bytes handed to a socket show in its `bytesWritten`; the stall timer runs on a fake clock.
 */
import { once } from 'node:events';
import { AddressInfo, connect, createServer, Socket } from 'node:net';
import { PacketWriter } from './packet-writer';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';

const teardowns = teardownsAfterEach();

/** A fake clock for the stall timer; socket I/O, ticks and microtasks stay real. */
function fakeClock(): void {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  teardowns.push(() => jest.useRealTimers());
}

/** A loopback listener; `remote` resolves with the server side of the next connection. */
async function listener(): Promise<{ port: number; remote: () => Promise<Socket> }> {
  const server = createServer();
  const accepted: Socket[] = [];
  server.on('connection', (socket: Socket) => {
    accepted.push(socket);
    server.emit('accepted');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  teardowns.push(() => {
    for (const socket of accepted) socket.destroy();
    server.close();
  });
  return {
    port: (server.address() as AddressInfo).port,
    remote: async () => {
      if (accepted.length === 0) await once(server, 'accepted');
      return accepted.shift() as Socket;
    },
  };
}

/** A client socket, not yet connected (still `connecting`): what it is given waits in its queue. */
async function connecting(port?: number): Promise<Socket> {
  port ??= (await listener()).port;
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  teardowns.push(() => socket.destroy());
  expect(socket.connecting).toBe(true);
  return socket;
}

/** A connected client socket and the server side of it. */
async function connected(): Promise<{ local: Socket; remote: Socket }> {
  const { port, remote } = await listener();
  const local = await connecting(port);
  await once(local, 'connect');
  return { local, remote: await remote() };
}

/** The next `n` bytes a socket receives. */
function receive(socket: Socket, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got < n) return;
      socket.off('data', onData);
      resolve(Buffer.concat(chunks));
    };
    socket.on('data', onData);
  });
}

/** Resolves after the ticks already queued (the writer flushes its batch on one). */
function afterTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

function writerOn(
  socket: Socket,
  options: { maxQueuedBytes?: number; stallTimeout?: number } = {},
): { writer: PacketWriter; stalls: string[] } {
  const stalls: string[] = [];
  const writer = new PacketWriter(socket, {
    maxQueuedBytes: options.maxQueuedBytes ?? 64 * 1024 * 1024,
    stallTimeout: options.stallTimeout ?? 1000,
    onStall: (reason) => stalls.push(reason),
  });
  return { writer, stalls };
}

const KiB = 1024;
/** More than a socket's default high-water mark (16 KiB on Node 20, 64 KiB from Node 22): its write() returns false. */
const PAST_HIGH_WATER = 100 * KiB;

describe('PacketWriter: when packets leave', () => {
  it('holds the small packets of one turn and sends them together, in order, on the next tick', async () => {
    const { local, remote } = await connected();
    const { writer } = writerOn(local);
    const packets = ['one', 'two', 'three'].map((s) => Buffer.from(s));
    const received = receive(remote, 11);
    for (const packet of packets) expect(writer.write(packet)).toBe(true);
    expect(local.bytesWritten).toBe(0);
    await afterTick();
    expect(local.bytesWritten).toBe(11);
    expect((await received).toString()).toBe('onetwothree');
  });

  it('writes a packet of 16 KiB or more at once, after what was batched before it', async () => {
    const { local, remote } = await connected();
    const { writer } = writerOn(local);
    const received = receive(remote, 1 + 16 * KiB - 1 + 16 * KiB);
    writer.write(Buffer.from('a'));
    // One byte short of 16 KiB still waits for the end of the turn.
    writer.write(Buffer.alloc(16 * KiB - 1, 'b'));
    expect(local.bytesWritten).toBe(0);
    writer.write(Buffer.alloc(16 * KiB, 'c'));
    expect(local.bytesWritten).toBe(1 + 16 * KiB - 1 + 16 * KiB);
    const bytes = await received;
    expect(bytes.toString('latin1')).toBe('a' + 'b'.repeat(16 * KiB - 1) + 'c'.repeat(16 * KiB));
  });

  it('sends a batch as soon as it holds 32 packets, without waiting for the end of the turn', async () => {
    const { local, remote } = await connected();
    const { writer } = writerOn(local);
    const received = receive(remote, 33 * 4);
    for (let i = 0; i < 31; i++) writer.write(Buffer.from(String(i).padStart(4, '0')));
    expect(local.bytesWritten).toBe(0);
    writer.write(Buffer.from('0031'));
    expect(local.bytesWritten).toBe(32 * 4);
    // The next packet starts a new batch.
    writer.write(Buffer.from('0032'));
    expect(local.bytesWritten).toBe(32 * 4);
    await afterTick();
    expect(local.bytesWritten).toBe(33 * 4);
    const expected = Array.from({ length: 33 }, (_, i) => String(i).padStart(4, '0')).join('');
    expect((await received).toString()).toBe(expected);
  });

  it('flushNow() sends the batch before the socket is ended; without it the batch is dropped, not written after the end', async () => {
    const flushed = await connected();
    const first = writerOn(flushed.local).writer;
    const received = receive(flushed.remote, 5);
    first.write(Buffer.from('hello'));
    first.flushNow();
    flushed.local.end();
    expect((await received).toString()).toBe('hello');

    const dropped = await connected();
    const errors: string[] = [];
    dropped.local.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    const second = writerOn(dropped.local).writer;
    let bytes = 0;
    dropped.remote.on('data', (chunk: Buffer) => (bytes += chunk.length));
    second.write(Buffer.from('lost'));
    dropped.local.end();
    await Promise.all([once(dropped.remote, 'end'), once(dropped.local, 'close')]);
    expect(errors).toEqual([]);
    expect(bytes).toBe(0);
  });

  it('write() returns false once the socket is ended or destroyed', async () => {
    const ended = await connected();
    const a = writerOn(ended.local).writer;
    expect(a.write(Buffer.from('x'))).toBe(true);
    ended.local.end();
    expect(a.write(Buffer.from('x'))).toBe(false);
    const destroyed = await connected();
    const b = writerOn(destroyed.local).writer;
    destroyed.local.destroy();
    expect(b.write(Buffer.from('x'))).toBe(false);
  });
});

describe('PacketWriter: giving up on a slow peer', () => {
  it('drops a peer whose queue goes over maxQueuedBytes, not one exactly at it', async () => {
    const atBudget = writerOn(await connecting(), { maxQueuedBytes: 20_000 });
    atBudget.writer.write(Buffer.alloc(20_000));
    expect(atBudget.stalls).toEqual([]);

    const overBudget = writerOn(await connecting(), { maxQueuedBytes: 19_999 });
    overBudget.writer.write(Buffer.alloc(20_000));
    expect(overBudget.stalls).toEqual(['send queue over 19999 bytes']);
  });

  it('once it dropped a peer, refuses further packets though the socket is still open', async () => {
    const socket = await connecting();
    const { writer, stalls } = writerOn(socket, { maxQueuedBytes: 100 });
    writer.write(Buffer.alloc(20_000));
    expect(stalls).toHaveLength(1);
    expect(socket.writable).toBe(true);
    const queued = socket.writableLength;
    expect(writer.write(Buffer.alloc(20_000))).toBe(false);
    writer.flushNow();
    expect(socket.writableLength).toBe(queued);
    expect(stalls).toHaveLength(1);
  });

  it('drops a peer whose queue does not drain within the stall timeout', async () => {
    fakeClock();
    const { writer, stalls } = writerOn(await connecting(), { stallTimeout: 1000 });
    writer.write(Buffer.alloc(PAST_HIGH_WATER));
    jest.advanceTimersByTime(999);
    expect(stalls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(stalls).toEqual(['send queue not drained in 1000 ms']);
  });

  it('setStallTimeout() changes the timeout of the stalls that start after it', async () => {
    fakeClock();
    const { writer, stalls } = writerOn(await connecting(), { stallTimeout: 1000 });
    writer.setStallTimeout(300);
    writer.write(Buffer.alloc(PAST_HIGH_WATER));
    jest.advanceTimersByTime(299);
    expect(stalls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(stalls).toEqual(['send queue not drained in 300 ms']);
  });

  it('times a stall also when the batch went out as several large packets', async () => {
    fakeClock();
    const { writer, stalls } = writerOn(await connecting(), { stallTimeout: 1000 });
    // A small packet, then a big one: over 64 KiB together, written as they are.
    writer.write(Buffer.from('a'));
    writer.write(Buffer.alloc(100 * KiB));
    jest.advanceTimersByTime(1000);
    expect(stalls).toEqual(['send queue not drained in 1000 ms']);
  });

  it('keeps a peer whose queue drains in time', async () => {
    fakeClock();
    const socket = await connecting();
    const { writer, stalls } = writerOn(socket, { stallTimeout: 1000 });
    writer.write(Buffer.alloc(PAST_HIGH_WATER));
    await once(socket, 'drain');
    jest.advanceTimersByTime(5000);
    expect(stalls).toEqual([]);
  });

  it('never times a peer that took everything at once', async () => {
    fakeClock();
    const { local, remote } = await connected();
    const { writer, stalls } = writerOn(local, { stallTimeout: 1000 });
    const received = receive(remote, 3);
    writer.write(Buffer.from('abc'));
    await afterTick();
    expect(local.writableLength).toBe(0);
    await received;
    jest.advanceTimersByTime(5000);
    expect(stalls).toEqual([]);
  });

  it('dispose() stops a running stall timer and leaves no listener on the socket', async () => {
    fakeClock();
    const socket = await connecting();
    const drainListeners = socket.listenerCount('drain');
    const { writer, stalls } = writerOn(socket, { stallTimeout: 1000 });
    writer.write(Buffer.alloc(PAST_HIGH_WATER));
    writer.dispose();
    expect(socket.listenerCount('drain')).toBe(drainListeners);
    jest.advanceTimersByTime(5000);
    expect(stalls).toEqual([]);
  });
});
