import { EventEmitter, once } from 'node:events';
import { connect as netConnect, Socket } from 'node:net';
import { VsoaClient } from '../client/client';
import { VsoaServer } from '../server/server';
import type { VsoaServerStream } from './server-stream';
import type { VsoaClientStream } from './client-stream';
import { nextEvent } from '../../../../test/helpers/events';
import { readDigest, writeRandom } from '../../../../test/helpers/stream-data';
import { tcpTimers } from '../../../../test/helpers/tcp-timers';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.SIZE ?? 64) * MiB;

describe('streams', () => {
  let server: VsoaServer;
  let client: VsoaClient;
  let port: number;
  /** Server ends of streams opened by '/stream' calls, as they open. */
  const opened = new EventEmitter<{ stream: [VsoaServerStream] }>();
  const byTunid = new Map<number, VsoaServerStream>();
  const cleanup: Array<{ destroy(): void }> = [];

  beforeEach(async () => {
    server = new VsoaServer({ info: { name: 'streams' } });
    server.command('/stream', async (cli, req, payload) => {
      const { timeout, allowHalfOpen } = (payload.param ?? {}) as { timeout?: number; allowHalfOpen?: boolean };
      const stream = await server.createStream({ client: cli, timeout, allowHalfOpen });
      cleanup.push(stream);
      byTunid.set(stream.tunid, stream);
      opened.emit('stream', stream);
      cli.reply(req.seqno, { param: { ok: true } }, { tunid: stream.tunid });
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    port = server.address()!.port;
    client = new VsoaClient({ timeout: 5000 });
    await client.connect(`vsoa://127.0.0.1:${port}`);
  });

  afterEach(async () => {
    for (const item of cleanup.splice(0)) item.destroy();
    await client.close();
    await server.close();
  });

  /** Calls '/stream' and connects to the tunnel it announces; resolves with both ends, connected. */
  async function openPair(param: { allowHalfOpen?: boolean } = {}): Promise<{ serverEnd: VsoaServerStream; clientEnd: VsoaClientStream }> {
    const reply = await client.fetch('/stream', { payload: { param } });
    expect(reply.tunid).toBeGreaterThan(0);
    const serverEnd = byTunid.get(reply.tunid)!;
    expect(serverEnd).toBeDefined();
    const clientEnd = client.createStream(reply.tunid, param);
    cleanup.push(clientEnd);
    await Promise.all([once(clientEnd, 'connect'), once(serverEnd, 'connect')]);
    return { serverEnd, clientEnd };
  }

  it('moves 64 MiB each way at once, byte for byte', async () => {
    // Half-open, so the side that finishes first does not end the other's sending.
    const { serverEnd, clientEnd } = await openPair({ allowHalfOpen: true });
    const [down, up, gotDown, gotUp] = await Promise.all([
      writeRandom(serverEnd, SIZE),
      writeRandom(clientEnd, SIZE),
      readDigest(clientEnd),
      readDigest(serverEnd),
    ]);
    expect(gotDown).toEqual(down);
    expect(gotUp).toEqual(up);
  }, 20_000); // 128 MiB through loopback: seconds, more under mutation testing's coverage counters.

  it('runs 8 streams in parallel on one client, each with its own bytes', async () => {
    const pairs = await Promise.all(Array.from({ length: 8 }, () => openPair()));
    expect(new Set(pairs.map((p) => p.clientEnd.tunid)).size).toBe(8);
    const results = await Promise.all(
      pairs.map(async ({ serverEnd, clientEnd }) => {
        const [sent, got] = await Promise.all([writeRandom(serverEnd, 2 * MiB), readDigest(clientEnd)]);
        return { sent, got };
      }),
    );
    for (const { sent, got } of results) expect(got).toEqual(sent);
  });

  it('keeps what was written before the client connected, and what arrives before a reader attaches', async () => {
    const serverSide = nextEvent<[VsoaServerStream]>(opened, 'stream');
    const reply = await client.fetch('/stream');
    const [serverEnd] = await serverSide;
    // Written and ended while nobody is connected: nothing may be lost.
    serverEnd.write(Buffer.from('early '));
    serverEnd.end(Buffer.from('bytes'));
    const clientEnd = client.createStream(reply.tunid);
    cleanup.push(clientEnd);
    await once(clientEnd, 'connect');
    // The reader attaches only once the server side has finished sending.
    await once(serverEnd, 'finish');
    const chunks: Buffer[] = [];
    for await (const chunk of clientEnd) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('early bytes');
  });

  it('slows a writer down to its reader: memory stays bounded and no byte is lost', async () => {
    const { serverEnd, clientEnd } = await openPair();
    const total = 48 * MiB;
    let written = 0;
    // The reader's tunnel stops reading its socket once its buffer is full: that is the backpressure.
    const socketOf = (): Socket | null => (clientEnd as unknown as { socket: Socket | null }).socket;
    if (!socketOf()) await once(clientEnd, 'connect');
    const socket = socketOf()!;
    let waiting = false;
    let held!: () => void;
    const writerHeld = new Promise<void>((resolve) => (held = resolve));
    const check = (): void => {
      if (waiting && socket.isPaused()) held();
    };
    socket.on('pause', check);
    const sending = writeRandom(serverEnd, total, 64 * 1024, (n, full) => {
      written = n;
      waiting = full;
      check();
    });
    // Nobody reads yet: the writer must end up waiting on a paused reader well short of the total
    // (kernel buffers and both streams' high-water marks are all it may fill), never finish.
    await Promise.race([
      writerHeld,
      sending.then(() => {
        throw new Error('the writer sent everything to a reader that reads nothing');
      }),
    ]);
    expect(written).toBeLessThan(total / 2);
    expect(clientEnd.readableLength).toBeLessThanOrEqual(clientEnd.readableHighWaterMark + 64 * 1024);
    expect(serverEnd.writableLength).toBeLessThanOrEqual(serverEnd.writableHighWaterMark + 64 * 1024);
    // A late reader gets every byte.
    const [sent, got] = await Promise.all([sending, readDigest(clientEnd)]);
    expect(got).toEqual(sent);
  }, 20_000); // 48 MiB against a slow reader: seconds under mutation testing.

  it("emits 'timeout' and closes when nobody connects in time", async () => {
    const serverSide = nextEvent<[VsoaServerStream]>(opened, 'stream');
    await client.fetch('/stream', { payload: { param: { timeout: 100 } } });
    const [serverEnd] = await serverSide;
    const events: string[] = [];
    serverEnd.on('timeout', () => events.push('timeout'));
    serverEnd.on('error', () => events.push('error'));
    await once(serverEnd, 'close');
    expect(events).toEqual(['timeout']);
    // The tunnel port is closed: a late client is refused.
    const late = client.createStream(serverEnd.tunid);
    const [error] = (await once(late, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('refuses a second connection to a tunnel that is taken', async () => {
    const { serverEnd, clientEnd } = await openPair();
    const intruder = netConnect({ host: '127.0.0.1', port: serverEnd.tunid });
    const outcome = await new Promise<string>((resolve) => {
      intruder.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      intruder.on('close', () => resolve('closed'));
    });
    expect(['ECONNREFUSED', 'closed', 'ECONNRESET']).toContain(outcome);
    // The first connection is unharmed.
    serverEnd.end('still here');
    const chunks: Buffer[] = [];
    for await (const chunk of clientEnd) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('still here');
  });

  it('binds the address the client reached, and takes a connection only from that client', async () => {
    const serverSide = nextEvent<[VsoaServerStream]>(opened, 'stream');
    const reply = await client.fetch('/stream');
    const [serverEnd] = await serverSide;
    // Not bound to every interface: another loopback address is not served.
    const elsewhere = netConnect({ host: '127.0.0.2', port: reply.tunid });
    const [error] = (await once(elsewhere, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    // A stranger (another source address) is turned away and the tunnel stays free.
    const stranger = netConnect({ host: '127.0.0.1', port: reply.tunid, localAddress: '127.0.0.2' });
    await closedOrErrored(stranger);
    expect(server.counters.streamsRefused).toBe(1);
    const clientEnd = client.createStream(reply.tunid);
    cleanup.push(clientEnd);
    const [remote] = (await once(serverEnd, 'connect')) as [{ address: string }];
    expect(remote.address).toBe('127.0.0.1');
  });

  it('reports a refused tunnel as an error on the client end', async () => {
    // Port 1 on loopback has no listener.
    const stream = client.createStream(1, { timeout: 2000 });
    const [error] = (await once(stream, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('ends the other side when one side ends (and closes both)', async () => {
    const { serverEnd, clientEnd } = await openPair();
    clientEnd.end('bye');
    clientEnd.resume();
    const got = await readDigest(serverEnd);
    expect(got.bytes).toBe(3);
    await Promise.all([serverEnd.closed || once(serverEnd, 'close'), clientEnd.closed || once(clientEnd, 'close')]);
  });

  it('rejects createStream before listening and on a client that is not connected', async () => {
    const idle = new VsoaServer();
    await expect(idle.createStream()).rejects.toMatchObject({ code: 'NOT_LISTENING' });
    const loose = new VsoaClient();
    expect(() => loose.createStream(1234)).toThrow(expect.objectContaining({ code: 'NOT_CONNECTED' }));
    expect(() => client.createStream(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it("sets TCP keepalive on the tunnel at both ends, before or after it connects (the seed's stream.keepalive)", async () => {
    const reply = await client.fetch('/stream');
    const serverEnd = byTunid.get(reply.tunid)!;
    serverEnd.setKeepAlive(20_000); // before the tunnel is up: applied when it connects
    const clientEnd = client.createStream(reply.tunid);
    cleanup.push(clientEnd);
    await Promise.all([once(serverEnd, 'connect'), once(clientEnd, 'connect')]);
    expect(tcpTimers(`( sport = :${reply.tunid} )`)).toContain('timer:(keepalive');
    expect(tcpTimers(`( dport = :${reply.tunid} )`)).not.toContain('keepalive');
    clientEnd.setKeepAlive(20_000);
    expect(tcpTimers(`( dport = :${reply.tunid} )`)).toContain('timer:(keepalive');
    serverEnd.setKeepAlive(false);
    expect(tcpTimers(`( sport = :${reply.tunid} )`)).not.toContain('keepalive');
    expect(() => clientEnd.setKeepAlive(-1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('closes open streams with the server', async () => {
    const { serverEnd, clientEnd } = await openPair();
    const closed = Promise.all([once(serverEnd, 'close'), once(clientEnd, 'close')]);
    clientEnd.resume();
    await server.close();
    await closed;
  });
});

function closedOrErrored(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('error', () => resolve());
    socket.once('close', () => resolve());
  });
}
