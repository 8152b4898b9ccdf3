/**
 * The client's link: handshake outcomes and their messages, the UDP socket beside the TCP one,
 * and what happens to a link whose server misbehaves after the handshake. Real sockets on
 * 127.0.0.1 with port 0; servers that misbehave are hand-written (test/helpers/fake-server.ts).
 */
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { Flag, PacketType, VsoaStatus } from '../protocol/constants';
import { encodePacket, VsoaPacket } from '../protocol/packet';
import { VsoaServer } from '../server/server';
import { VsoaClient } from './client';
import { nextEvent } from '../../../../test/helpers/events';
import { FakeServer, handshakeReply } from '../../../../test/helpers/fake-server';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { RecordingLogger } from '../../../../test/helpers/recording-logger';

const teardowns = teardownsAfterEach();

function newClient(options?: ConstructorParameters<typeof VsoaClient>[0]): VsoaClient {
  const client = new VsoaClient(options);
  teardowns.push(() => client.close());
  return client;
}

async function fakeServer(onPacket: (packet: VsoaPacket, socket: Socket) => void): Promise<FakeServer> {
  const fake = new FakeServer(onPacket);
  teardowns.push(() => fake.close());
  await fake.listen();
  return fake;
}

/** A fake server that admits every client (id 1) and answers pings; `extra` sees every packet too. */
function admitting(extra: (packet: VsoaPacket, socket: Socket) => void = () => undefined): Promise<FakeServer> {
  return fakeServer((p, s) => {
    if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 1));
    if (p.type === PacketType.PINGECHO) s.write(encodePacket({ type: PacketType.PINGECHO, flags: Flag.REPLY, seqno: p.seqno }));
    extra(p, s);
  });
}

async function udpSocket(type: 'udp4' | 'udp6' = 'udp4', host = '127.0.0.1'): Promise<UdpSocket> {
  const udp = createSocket(type);
  await new Promise<void>((resolve) => udp.bind(0, host, resolve));
  teardowns.push(() => new Promise<void>((resolve) => udp.close(() => resolve())));
  return udp;
}

function send(udp: UdpSocket, packet: Buffer, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => udp.send(packet, port, host, (error) => (error ? reject(error) : resolve())));
}

describe('client link: handshake', () => {
  it('resolves with the server info as text when the handshake reply carries no JSON', async () => {
    const fake = await fakeServer((p, s) => {
      const data = Buffer.alloc(4);
      data.writeUInt32BE(9, 0);
      s.write(encodePacket({ type: PacketType.SERVINFO, flags: Flag.REPLY, seqno: p.seqno, param: Buffer.from('plain text'), data }));
    });
    const client = newClient();
    await expect(client.connect(`vsoa://127.0.0.1:${fake.port}`)).resolves.toBe('plain text');
    expect(client.info).toBe('plain text');
    expect(client.id).toBe(9);
  });

  it('names the server and the time allowed when the handshake reply does not come', async () => {
    const fake = await fakeServer(() => undefined);
    await expect(newClient().connect(`vsoa://127.0.0.1:${fake.port}`, { timeout: 150 })).rejects.toMatchObject({
      code: 'SERVER_NO_RESPONDING',
      message: `no handshake from 127.0.0.1:${fake.port} in 150 ms`,
    });
  });

  it('refuses a first packet that is not a SERVINFO reply, naming its type', async () => {
    const rpcReply = await fakeServer((p, s) => s.write(encodePacket({ type: PacketType.RPC, flags: Flag.REPLY, seqno: p.seqno })));
    await expect(newClient().connect(`vsoa://127.0.0.1:${rpcReply.port}`)).rejects.toMatchObject({
      code: 'INVALID_RESPONDING',
      message: 'unexpected packet type 1 before the handshake reply',
    });
    // A SERVINFO without the REPLY flag is a request, not the answer.
    const request = await fakeServer((p, s) => {
      const data = Buffer.alloc(4);
      s.write(encodePacket({ type: PacketType.SERVINFO, seqno: p.seqno, data }));
    });
    await expect(newClient().connect(`vsoa://127.0.0.1:${request.port}`)).rejects.toMatchObject({
      code: 'INVALID_RESPONDING',
      message: 'unexpected packet type 0 before the handshake reply',
    });
  });

  it('says INVALID_PASSWD when the server answers status PASSWORD', async () => {
    const fake = await fakeServer((p, s) =>
      s.write(encodePacket({ type: PacketType.SERVINFO, flags: Flag.REPLY, status: VsoaStatus.PASSWORD, seqno: p.seqno })),
    );
    await expect(newClient().connect(`vsoa://127.0.0.1:${fake.port}`, { passwd: 'wrong' })).rejects.toMatchObject({
      code: 'INVALID_PASSWD',
      errno: 6,
      message: 'the server refused the password',
    });
  });

  it('refuses a handshake reply with another non-zero status, or without the 4-byte client id', async () => {
    const refusing = await fakeServer((p, s) =>
      s.write(encodePacket({ type: PacketType.SERVINFO, flags: Flag.REPLY, status: 2, seqno: p.seqno, data: Buffer.alloc(4) })),
    );
    await expect(newClient().connect(`vsoa://127.0.0.1:${refusing.port}`)).rejects.toMatchObject({
      code: 'INVALID_RESPONDING',
      message: 'invalid handshake reply (status 2)',
    });
    const short = await fakeServer((p, s) =>
      s.write(encodePacket({ type: PacketType.SERVINFO, flags: Flag.REPLY, seqno: p.seqno, data: Buffer.alloc(2) })),
    );
    await expect(newClient().connect(`vsoa://127.0.0.1:${short.port}`)).rejects.toMatchObject({
      code: 'INVALID_RESPONDING',
      message: 'invalid handshake reply (status 0)',
    });
  });

  it('refuses bytes that are not VSOA before the handshake reply, with the parser saying why', async () => {
    const fake = await fakeServer((_p, s) => s.write(Buffer.alloc(20)));
    await expect(newClient().connect(`vsoa://127.0.0.1:${fake.port}`)).rejects.toMatchObject({
      code: 'INVALID_RESPONDING',
      message: 'bad magic byte 0x0',
    });
  });

  it('says who closed the connection during the handshake', async () => {
    const fake = await fakeServer((_p, s) => s.destroy());
    await expect(newClient().connect(`vsoa://127.0.0.1:${fake.port}`)).rejects.toMatchObject({
      code: 'INVALID_RESPONDING',
      message: `127.0.0.1:${fake.port} closed the connection during the handshake`,
    });
  });

  it('reports a refused connection as CONNECT_ERROR with the address and the socket error', async () => {
    const fake = await fakeServer(() => undefined);
    const port = fake.port;
    await fake.close();
    const error = await newClient()
      .connect(`vsoa://127.0.0.1:${port}`)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONNECT_ERROR', cause: { code: 'ECONNREFUSED' } });
    expect((error as Error).message).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it('reports an unreachable network as UNREACHABLE with the socket error', async () => {
    // Multicast addresses take no TCP connection: the kernel answers ENETUNREACH at once.
    await expect(newClient().connect('vsoa://224.0.0.1:9', { timeout: 2000 })).rejects.toMatchObject({
      code: 'UNREACHABLE',
      errno: 2,
      cause: { code: 'ENETUNREACH' },
    });
  });
});

describe('client link: UDP', () => {
  it('talks to an IPv6 server from an IPv6 UDP socket: quick datagrams arrive', async () => {
    const server = new VsoaServer();
    teardowns.push(() => server.close());
    await server.listen({ host: '::1', port: 0 });
    const got = nextEvent<[unknown, string, unknown, boolean]>(server, 'datagram');
    const client = newClient();
    await client.connect(`vsoa://[::1]:${server.address()!.port}`);
    expect(client.datagram('/v6', { param: 6 }, { quick: true })).toBe(true);
    const [, url, payload, quick] = await got;
    expect([url, payload, quick]).toEqual(['/v6', { param: 6 }, true]);
  });

  it('logs an ICMP error on its UDP socket at debug level and keeps the link', async () => {
    const dead = createSocket('udp4');
    await new Promise<void>((resolve) => dead.bind(0, '127.0.0.1', resolve));
    const deadPort = dead.address().port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const fake = await fakeServer((p, s) => {
      if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 1, deadPort));
      if (p.type === PacketType.PINGECHO) s.write(encodePacket({ type: PacketType.PINGECHO, flags: Flag.REPLY, seqno: p.seqno }));
    });
    const logger = new RecordingLogger();
    const client = newClient({ logger });
    await client.connect(`vsoa://127.0.0.1:${fake.port}`);
    const logged = nextEvent<[string]>(logger, 'debug', (message) => message.startsWith('client UDP error: '));
    for (let i = 0; i < 3; i++) client.datagram('/q', { param: i }, { quick: true });
    expect((await logged)[0]).toMatch(/^client UDP error: .*ECONNREFUSED/);
    await client.ping();
    expect(client.connected).toBe(true);
  });

  it('ignores UDP packets that come before the handshake reply', async () => {
    const quick = await udpSocket();
    const fake = await fakeServer((p, s) => {
      if (p.type !== PacketType.SERVINFO) return;
      // Sent to the port the client announced, before the reply admits it.
      void send(quick, encodePacket({ type: PacketType.DATAGRAM, url: '/early' }), p.tunid).then(() =>
        s.write(handshakeReply(p.seqno, 1, quick.address().port)),
      );
    });
    const client = newClient();
    const urls: string[] = [];
    client.on('datagram', (url) => urls.push(url));
    await client.connect(`vsoa://127.0.0.1:${fake.port}`);
    const late = nextEvent(client, 'datagram', (url) => url === '/late');
    await send(quick, encodePacket({ type: PacketType.DATAGRAM, url: '/late' }), fake.received[0].tunid);
    await late;
    expect(urls).toEqual(['/late']);
  });

  it('lets its UDP port go when it closes', async () => {
    const fake = await admitting();
    const client = newClient();
    await client.connect(`vsoa://127.0.0.1:${fake.port}`);
    const udpPort = fake.received[0].tunid;
    await client.close();
    const again = createSocket('udp4');
    teardowns.push(() => new Promise<void>((resolve) => again.close(() => resolve())));
    await expect(
      new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.bind(udpPort, '127.0.0.1', resolve);
      }),
    ).resolves.toBeUndefined();
  });
});

describe('client link: after the handshake', () => {
  it('closes on bytes that are not VSOA, warning why, and reports the protocol error', async () => {
    let socket!: Socket;
    const fake = await admitting((_p, s) => (socket = s));
    const logger = new RecordingLogger();
    const client = newClient({ logger });
    await client.connect(`vsoa://127.0.0.1:${fake.port}`);
    const dropped = nextEvent<[Error | undefined]>(client, 'disconnect');
    // A whole header's worth of bytes, so the parser looks at it.
    socket.write(Buffer.alloc(20, 0x42));
    const [error] = await dropped;
    expect(error).toMatchObject({ code: 'BAD_MAGIC', message: 'bad magic byte 0x42' });
    expect(logger.warnings).toEqual(['closing: bad magic byte 0x42']);
    expect(client.connected).toBe(false);
  });

  it('logs a socket error at debug level and reports the link down', async () => {
    let socket!: Socket;
    const fake = await admitting((_p, s) => (socket = s));
    const logger = new RecordingLogger();
    const client = newClient({ logger });
    await client.connect(`vsoa://127.0.0.1:${fake.port}`);
    const dropped = nextEvent(client, 'disconnect');
    socket.resetAndDestroy();
    await dropped;
    expect(logger.debugs).toContainEqual(expect.stringMatching(/^client socket error: .*ECONNRESET/));
    expect(client.connected).toBe(false);
  });

  it('keeps a link whose server reads late, and drops one whose server stops reading, with CLOSED', async () => {
    let socket!: Socket;
    const fake = await admitting((_p, s) => (socket = s));
    const client = newClient();
    await client.connect(`vsoa://127.0.0.1:${fake.port}`);
    const data = Buffer.alloc(200_000, 1);

    // 8 MB while the server does not read: more than the kernel holds, so some waits in memory.
    socket.pause();
    const burst = 40;
    const seen = new Promise<void>((resolve) => {
      let count = 0;
      fake.onPacket((p) => {
        if (p.type === PacketType.DATAGRAM && ++count === burst) resolve();
      });
    });
    for (let i = 0; i < burst; i++) expect(client.datagram('/bulk', { data })).toBe(true);
    socket.resume();
    await seen;
    expect(client.connected).toBe(true);

    // A server that never reads again is dropped before memory grows without bound (here < 200 MB).
    socket.pause();
    const dropped = nextEvent<[Error | undefined]>(client, 'disconnect');
    let sent = 0;
    while (client.datagram('/bulk', { data }) && sent < 1000) sent++;
    expect(sent).toBeLessThan(1000);
    const [error] = await dropped;
    expect(error).toMatchObject({ code: 'CLOSED', message: expect.stringMatching(/^server not reading: /) });
  });
});
