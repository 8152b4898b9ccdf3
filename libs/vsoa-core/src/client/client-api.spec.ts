/**
 * VsoaClient's API in detail: what each call refuses and the errors it says so with, size
 * limits at their exact bounds, and which packets from a server reach the user. Real sockets on
 * 127.0.0.1; odd servers are hand-written (test/helpers/fake-server.ts).
 */
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { Flag, PacketType } from '../protocol/constants';
import { encodePacket, VsoaPacket } from '../protocol/packet';
import type { VsoaLogger } from '../logger';
import { VsoaServer } from '../server/server';
import { VsoaClient } from './client';
import { nextEvent } from '../../../../test/helpers/events';
import { FakeServer, handshakeReply } from '../../../../test/helpers/fake-server';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { RecordingLogger } from '../../../../test/helpers/recording-logger';

const teardowns = teardownsAfterEach();

/** The protocol's caps on a whole packet (header included): TCP 256 KiB, UDP 65507 bytes. */
const TCP_CAP = 262144;
const UDP_CAP = 65507;
/** Every packet has a 20-byte header; the total is padded to a multiple of 4. */
const HEADER = 20;

function newClient(options?: ConstructorParameters<typeof VsoaClient>[0]): VsoaClient {
  const client = new VsoaClient(options);
  teardowns.push(() => client.close());
  return client;
}

async function echoServer(): Promise<{ server: VsoaServer; url: string }> {
  const server = new VsoaServer();
  teardowns.push(() => server.close());
  server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
  server.command('/never', () => undefined);
  await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, url: `vsoa://127.0.0.1:${server.address()!.port}` };
}

/**
 * A fake server that admits clients (id 1, quick port `udpPort` if given) and hands every later
 * packet to `onPacket`; `socket` is the last client's connection.
 */
async function fakeServer(
  onPacket: (packet: VsoaPacket, socket: Socket) => void = () => undefined,
  udpPort?: number,
): Promise<{ fake: FakeServer; url: string; socket: () => Socket }> {
  let last: Socket | null = null;
  const fake = new FakeServer((p, s) => {
    last = s;
    if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 1, udpPort));
    else onPacket(p, s);
  });
  teardowns.push(() => fake.close());
  await fake.listen();
  return { fake, url: `vsoa://127.0.0.1:${fake.port}`, socket: () => last! };
}

function reply(p: VsoaPacket, status = 0): Buffer {
  return encodePacket({ type: p.type, flags: Flag.REPLY, status, seqno: p.seqno });
}

async function udpSocket(): Promise<UdpSocket> {
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  teardowns.push(() => new Promise<void>((resolve) => udp.close(() => resolve())));
  return udp;
}

describe('VsoaClient: refusals', () => {
  it('refuses a second connect while connecting or connected', async () => {
    const { url } = await echoServer();
    const client = newClient();
    const first = client.connect(url);
    await expect(client.connect(url)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'already connected or connecting' });
    await first;
    await expect(client.connect(url)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'already connected or connecting' });
    expect(client.connected).toBe(true);
  });

  it('emits no disconnect for a connect that fails', async () => {
    const { url } = await fakeServer();
    const client = newClient();
    let disconnects = 0;
    client.on('disconnect', () => disconnects++);
    // The fake server never sends anything but the handshake reply: make that fail with a timeout.
    const silent = new FakeServer();
    teardowns.push(() => silent.close());
    const port = await silent.listen();
    await expect(client.connect(`vsoa://127.0.0.1:${port}`, { timeout: 100 })).rejects.toMatchObject({ code: 'SERVER_NO_RESPONDING' });
    expect(disconnects).toBe(0);
    await client.connect(url);
    expect(client.connected).toBe(true);
    expect(disconnects).toBe(0);
  });

  it('refuses URLs that do not start with /, before anything else', async () => {
    const client = newClient();
    await expect(client.fetch('x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'invalid URL "x"' });
    expect(() => client.datagram('x')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'invalid URL "x"' }));
    await expect(client.subscribe('x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'invalid URL "x"' });
    await expect(client.subscribe(['/ok', 'y'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'invalid URL "y"' });
    await expect(client.subscribe([])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'invalid URL undefined' });
    await expect(client.unsubscribe('z')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'invalid URL "z"' });
    await expect(client.unsubscribe([])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => client.regulate('r', 10)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'invalid URL "r"' }));
    expect(() => client.regulate('/r', 0)).toThrow(expect.objectContaining({ message: 'interval must be > 0 ms, got 0' }));
    expect(() => client.regulate('/r', Number.NaN)).toThrow(expect.objectContaining({ message: 'interval must be > 0 ms, got NaN' }));
  });

  it('says which call found no connection', async () => {
    const client = newClient();
    await expect(client.fetch('/a')).rejects.toMatchObject({ code: 'NOT_CONNECTED', message: 'RPC /a: not connected' });
    await expect(client.subscribe('/b')).rejects.toMatchObject({ code: 'NOT_CONNECTED', message: 'subscribe /b: not connected' });
    await expect(client.unsubscribe('/c')).rejects.toMatchObject({ code: 'NOT_CONNECTED', message: 'unsubscribe /c: not connected' });
    await expect(client.ping()).rejects.toMatchObject({ code: 'NOT_CONNECTED', message: 'ping: not connected' });
    expect(() => client.createStream(1000)).toThrow(
      expect.objectContaining({ code: 'NOT_CONNECTED', message: 'createStream: not connected' }),
    );
    expect(client.subscribed()).toEqual([]);
  });

  it('refuses robot() while one runs, and robotPingTurbo() while none does', () => {
    const client = newClient();
    expect(() => client.robotPingTurbo(25)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'robotPingTurbo: no robot runs; give turbo to robot()' }),
    );
    client.robot('vsoa://127.0.0.1:1', { reconnDelay: 10_000 });
    expect(() => client.robot('vsoa://127.0.0.1:1')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'robot already running' }),
    );
  });

  it('takes a stream tunid from 1 to 65535', async () => {
    const { url } = await echoServer();
    const client = newClient();
    await client.connect(url);
    /** The stream createStream() returns (closed at once, so nothing connects), or what it throws. */
    const attempt = (tunid: number): unknown => {
      try {
        const stream = client.createStream(tunid);
        stream.on('error', () => undefined);
        stream.destroy();
        return stream;
      } catch (error) {
        return error;
      }
    };
    for (const tunid of [0, 65536, 1.5]) {
      expect(attempt(tunid)).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: `createStream: tunid must be a port number, got ${tunid}`,
      });
    }
    expect(attempt(65535)).toMatchObject({ tunid: 65535 });
  });
});

describe('VsoaClient: replies and timeouts', () => {
  it('names the call in a TIMEOUT', async () => {
    const { url } = await fakeServer();
    const client = newClient();
    await client.connect(url);
    await expect(client.fetch('/never', { timeout: 60 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: 'RPC /never: no reply in 60 ms',
    });
    await expect(client.ping(60)).rejects.toMatchObject({ code: 'TIMEOUT', message: 'ping: no reply in 60 ms' });
    await expect(client.subscribe('/s', { timeout: 60 })).rejects.toMatchObject({ message: 'subscribe /s: no reply in 60 ms' });
  });

  it('rejects with INVALID_REPLY a reply whose param is not JSON', async () => {
    const { url } = await fakeServer((p, s) =>
      s.write(encodePacket({ type: PacketType.RPC, flags: Flag.REPLY, seqno: p.seqno, param: Buffer.from('{oops') })),
    );
    const client = newClient();
    await client.connect(url);
    const error = await client.fetch('/x').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_REPLY' });
    expect((error as Error).message).toMatch(/^reply \d+ carries a param that is not JSON$/);
  });

  it('rejects subscribe and unsubscribe the server answers with a non-zero status, naming the URL', async () => {
    const { url } = await fakeServer((p, s) => s.write(reply(p, 3)));
    const client = newClient();
    await client.connect(url);
    await expect(client.subscribe('/a')).rejects.toMatchObject({
      name: 'VsoaStatusError',
      status: 3,
      message: expect.stringMatching(/^subscribe \/a failed with status /),
    });
    await expect(client.unsubscribe('/b')).rejects.toMatchObject({
      name: 'VsoaStatusError',
      status: 3,
      message: expect.stringMatching(/^unsubscribe \/b failed with status /),
    });
  });

  it('keeps a subscription when subscribing to it again fails', async () => {
    let subscribes = 0;
    const { url } = await fakeServer((p, s) => {
      if (p.type === PacketType.SUBSCRIBE) s.write(reply(p, ++subscribes === 1 ? 0 : 3));
    });
    const client = newClient();
    await client.connect(url);
    await client.subscribe('/kept');
    await expect(client.subscribe('/kept')).rejects.toMatchObject({ status: 3 });
    expect(client.subscribed()).toEqual(['/kept']);
  });
  it('rejects at once with CLOSED a call made while the socket fails', async () => {
    const { url, socket } = await fakeServer();
    // The only code that runs between the socket's error and its close is the logger's.
    let during: Promise<unknown> | null = null;
    const logger: VsoaLogger = {
      debug: (message) => {
        if (message.startsWith('client socket error')) during ??= client.fetch('/during').catch((e: unknown) => e);
      },
      warn: () => undefined,
    };
    const client = newClient({ logger });
    await client.connect(url);
    const dropped = nextEvent(client, 'disconnect');
    socket().resetAndDestroy();
    await dropped;
    expect(during).not.toBeNull();
    await expect(during).resolves.toMatchObject({ code: 'CLOSED', message: 'RPC /during: connection closed' });
  });
});

describe('VsoaClient: size limits', () => {
  it('sends a TCP datagram of exactly 256 KiB and refuses a larger one, with both sizes', async () => {
    const { server, url } = await echoServer();
    const client = newClient();
    await client.connect(url);
    const got = nextEvent<[unknown, string, { data?: Buffer }]>(server, 'datagram');
    // '/big' is 4 bytes: header + url + data = the cap exactly, no padding.
    expect(client.datagram('/big', { data: Buffer.alloc(TCP_CAP - HEADER - 4) })).toBe(true);
    expect((await got)[2].data).toHaveLength(TCP_CAP - HEADER - 4);
    expect(() => client.datagram('/big', { data: Buffer.alloc(TCP_CAP - HEADER - 4 + 1) })).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE', message: `datagram of ${TCP_CAP + 4} bytes exceeds ${TCP_CAP}` }),
    );
    expect(() => client.datagram('/big', { data: Buffer.alloc(UDP_CAP) }, { quick: true })).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE', message: `datagram of ${UDP_CAP + HEADER + 4 + 1} bytes exceeds ${UDP_CAP}` }),
    );
  });

  it('sends a call of exactly 256 KiB and refuses a larger one with TOO_LARGE, sending nothing', async () => {
    const { url } = await echoServer();
    const client = newClient();
    await client.connect(url);
    // '/echo' is 5 bytes and the param '"a"' 3: data makes the rest, with no padding.
    const data = Buffer.alloc(TCP_CAP - HEADER - 8);
    const answer = await client.fetch('/echo', { payload: { param: 'a', data } });
    expect(answer.payload.data).toHaveLength(data.length);
    // One byte more: 4 more on the wire, with the padding.
    await expect(client.fetch('/echo', { payload: { param: 'a', data: Buffer.alloc(data.length + 1) } })).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: `RPC /echo: ${TCP_CAP + 4} bytes exceeds ${TCP_CAP}`,
    });
    // Nothing went out: the server, which closes a connection that sends more than the cap, still answers.
    expect(client.pending).toBe(0);
    expect((await client.fetch('/echo', { payload: { param: 'after' } })).payload.param).toBe('after');
  });
});

describe('VsoaClient: what reaches the user', () => {
  it('delivers only publishes it subscribed to, and datagrams; other requests are ignored', async () => {
    const { url, socket } = await fakeServer((p, s) => {
      if (p.type === PacketType.SUBSCRIBE) s.write(reply(p));
    });
    const client = newClient();
    await client.connect(url);
    await client.subscribe('/mine');
    const messages: string[] = [];
    const datagrams: string[] = [];
    client.on('message', (u) => messages.push(u));
    client.on('datagram', (u) => datagrams.push(u));
    const marker = nextEvent(client, 'datagram', (u) => u === '/marker');
    const s = socket();
    s.write(encodePacket({ type: PacketType.PUBLISH, url: '/other' }));
    s.write(encodePacket({ type: PacketType.PUBLISH, url: '/mine' }));
    s.write(encodePacket({ type: PacketType.RPC, seqno: 5, url: '/request' }));
    s.write(encodePacket({ type: PacketType.SERVINFO, seqno: 6, url: '/hello' }));
    s.write(encodePacket({ type: PacketType.DATAGRAM, url: '/marker' }));
    await marker;
    expect(messages).toEqual(['/mine']);
    expect(datagrams).toEqual(['/marker']);
  });

  it('delivers quick publishes and datagrams only: replies and other types by UDP are ignored', async () => {
    const quick = await udpSocket();
    const { fake, url } = await fakeServer((p, s) => {
      if (p.type === PacketType.SUBSCRIBE) s.write(reply(p));
    }, quick.address().port);
    const client = newClient();
    await client.connect(url);
    await client.subscribe('/q/');
    const seen: Array<[string, string, boolean]> = [];
    client.on('message', (u, _p, q) => seen.push(['message', u, q]));
    client.on('datagram', (u, _p, q) => seen.push(['datagram', u, q]));
    const marker = nextEvent(client, 'datagram', (u) => u === '/q/end');
    const clientPort = fake.received[0].tunid;
    for (const packet of [
      encodePacket({ type: PacketType.DATAGRAM, flags: Flag.REPLY, url: '/q/reply' }),
      encodePacket({ type: PacketType.RPC, seqno: 1, url: '/q/rpc' }),
      encodePacket({ type: PacketType.PUBLISH, url: '/q/pub' }),
      encodePacket({ type: PacketType.DATAGRAM, url: '/q/end' }),
    ]) {
      await new Promise<void>((resolve, reject) => quick.send(packet, clientPort, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    }
    await marker;
    expect(seen).toEqual([
      ['message', '/q/pub', true],
      ['datagram', '/q/end', true],
    ]);
  });

  it('takes the priority a QOSSETUP sets', async () => {
    const { url, socket } = await fakeServer();
    const client = newClient();
    await client.connect(url);
    expect(client.priority).toBe(0);
    const set = nextEvent<[number]>(client, 'priority');
    socket().write(encodePacket({ type: PacketType.QOSSETUP, flags: Flag.REPLY, status: 5 }));
    expect(await set).toEqual([5]);
    expect(client.priority).toBe(5);
  });

  it('drops a publish or datagram whose param is not JSON, saying so at debug level', async () => {
    const { url, socket } = await fakeServer((p, s) => {
      if (p.type === PacketType.SUBSCRIBE) s.write(reply(p));
    });
    const logger = new RecordingLogger();
    const client = newClient({ logger });
    await client.connect(url);
    await client.subscribe('/p');
    const delivered: string[] = [];
    client.on('message', (u) => delivered.push(u));
    client.on('datagram', (u) => delivered.push(u));
    const marker = nextEvent(client, 'datagram', (u) => u === '/marker');
    const bad = Buffer.from('not json');
    socket().write(encodePacket({ type: PacketType.PUBLISH, url: '/p', param: bad }));
    socket().write(encodePacket({ type: PacketType.DATAGRAM, url: '/d', param: bad }));
    socket().write(encodePacket({ type: PacketType.DATAGRAM, url: '/marker' }));
    await marker;
    expect(delivered).toEqual(['/marker']);
    expect(logger.debugs).toEqual(['dropped publish on /p: param is not JSON', 'dropped datagram on /d: param is not JSON']);
  });
});
