/**
 * The two ends of a stream tunnel against raw peers: a plain (or TLS) socket plays the other end,
 * so each test controls exactly what the peer does.
 */
import { once } from 'node:events';
import { AddressInfo, connect as netConnect, createServer as createNetServer, Server as NetServer, Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, TLSSocket } from 'node:tls';
import { VsoaServerStream } from './server-stream';
import { VsoaClientStream } from './client-stream';
import type { TunnelListenOptions } from './server-stream';
import type { StreamOptions, TunnelStream } from './tunnel-stream';
import type { PeerAddress } from '../transport/address';
import { disposeTestPki, makeTestPki, TestPki } from '../../../../test/helpers/certs';
import { nextEvent } from '../../../../test/helpers/events';
import { tcpTimers } from '../../../../test/helpers/tcp-timers';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';

const HOST = '127.0.0.1';
const teardowns = teardownsAfterEach();

afterAll(() => disposeTestPki());

/** Opens a server stream on loopback; destroyed after the test. */
async function openServerStream(options: StreamOptions = {}, tunnel: Partial<TunnelListenOptions> = {}): Promise<VsoaServerStream> {
  const stream = await VsoaServerStream.open(options, { host: HOST, allowFrom: null, ...tunnel });
  stream.on('error', () => undefined);
  teardowns.push(() => stream.destroy());
  return stream;
}

/** A raw TCP peer connected to `port`; destroyed after the test. */
async function rawPeer(port: number, localAddress?: string): Promise<Socket> {
  const socket = netConnect({ host: HOST, port, localAddress });
  socket.on('error', () => undefined);
  teardowns.push(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

/** A server stream with a raw peer as its tunnel, both connected. */
async function connectedPair(options: StreamOptions = {}): Promise<{ stream: VsoaServerStream; peer: Socket; remote: PeerAddress }> {
  const stream = await openServerStream(options);
  const connected = nextEvent<[PeerAddress]>(stream, 'connect');
  const peer = await rawPeer(stream.tunid);
  const [remote] = await connected;
  return { stream, peer, remote };
}

/** Everything a socket receives until its peer ends. */
async function readAll(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'end');
  return Buffer.concat(chunks).toString();
}

/** Resolves with what ended a socket's life: 'secure' if its TLS handshake completed first, else 'closed'. */
function tlsOutcome(socket: TLSSocket): Promise<'secure' | 'closed'> {
  return new Promise((resolve) => {
    socket.once('secureConnect', () => resolve('secure'));
    socket.once('close', () => resolve('closed'));
  });
}

describe('a stream tunnel end', () => {
  it('is connected only while its tunnel is up, and reports the peer address', async () => {
    const stream = await openServerStream();
    expect(stream.connected).toBe(false);
    expect(stream.encrypted).toBe(false);
    expect(stream.remoteAddress()).toBeNull();
    const connected = nextEvent<[PeerAddress]>(stream, 'connect');
    const peer = await rawPeer(stream.tunid);
    const [remote] = await connected;
    expect(remote).toEqual({ address: HOST, port: peer.localPort, family: 'IPv4' });
    expect(stream.remoteAddress()).toEqual(remote);
    expect(stream.connected).toBe(true);
    // A plain TCP tunnel is not encrypted.
    expect(stream.encrypted).toBe(false);
    stream.destroy();
    expect(stream.connected).toBe(false);
  });

  it('buffers 64 KiB each way by default, or the highWaterMark given', async () => {
    const byDefault = await openServerStream();
    expect([byDefault.readableHighWaterMark, byDefault.writableHighWaterMark]).toEqual([64 * 1024, 64 * 1024]);
    const small = await openServerStream({ highWaterMark: 1000 });
    expect([small.readableHighWaterMark, small.writableHighWaterMark]).toEqual([1000, 1000]);
  });

  it('close() flushes what was written, then ends the tunnel', async () => {
    const { stream, peer } = await connectedPair();
    const received = readAll(peer);
    stream.write('hello ');
    stream.write('world');
    stream.close();
    expect(await received).toBe('hello world');
  });

  it('an end() before the tunnel is up ends it once it connects', async () => {
    const stream = await openServerStream();
    const finished = once(stream, 'finish');
    stream.end();
    const peer = await rawPeer(stream.tunid);
    expect(await readAll(peer)).toBe('');
    await finished;
  });

  it('fails a write still waiting for the peer with CLOSED when the stream is destroyed', async () => {
    const { stream, peer } = await connectedPair();
    peer.pause();
    // Write until a write is held back: the peer reads nothing, so the kernel's buffers fill up.
    for (;;) {
      let calledBack = false;
      const outcome = new Promise<Error | null | undefined>((resolve) =>
        stream.write(Buffer.alloc(1024 * 1024), (error) => {
          calledBack = true;
          resolve(error);
        }),
      );
      // A write the socket took is called back on the next tick, well before this.
      await new Promise((resolve) => setImmediate(resolve));
      if (calledBack) continue;
      stream.destroy();
      expect(await outcome).toMatchObject({ code: 'CLOSED', message: 'stream destroyed' });
      return;
    }
  });

  it('reports a peer that resets the tunnel as an ECONNRESET error, then closes', async () => {
    const { stream, peer } = await connectedPair();
    const errors: string[] = [];
    stream.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    stream.resume();
    const closed = new Promise((resolve) => stream.once('close', resolve));
    peer.resetAndDestroy();
    await closed;
    expect(errors).toEqual(['ECONNRESET']);
  });

  it("turns TCP keepalive off with setKeepAlive(0) (the seed's stream.keepalive(0)), and refuses a negative time", async () => {
    const { stream } = await connectedPair();
    const ours = `( sport = :${stream.tunid} )`;
    stream.setKeepAlive(20_000);
    expect(tcpTimers(ours)).toContain('timer:(keepalive');
    stream.setKeepAlive(0);
    expect(tcpTimers(ours)).not.toContain('keepalive');
    expect(() => stream.setKeepAlive(-1)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'keepalive must be a number of ms >= 0 or a boolean, got -1' }),
    );
    expect(() => stream.setKeepAlive(Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('the server end of a stream', () => {
  it('rejects with the listen error when its address cannot be bound, and raises nothing else', async () => {
    // 192.0.2.1 (TEST-NET-1) is on no interface of this machine.
    await expect(VsoaServerStream.open({}, { host: '192.0.2.1', allowFrom: null })).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });

  it('takes a connection from any address when no client is named', async () => {
    const stream = await openServerStream();
    const connected = nextEvent<[PeerAddress]>(stream, 'connect');
    await rawPeer(stream.tunid, '127.0.0.2');
    const [remote] = await connected;
    expect(remote.address).toBe('127.0.0.2');
  });

  describe('over TLS', () => {
    let pki: TestPki;
    beforeAll(async () => {
      pki = await makeTestPki();
    });

    function tlsPeer(port: number, options: { localAddress?: string; socket?: Socket } = {}): TLSSocket {
      const socket = tlsConnect({ host: HOST, port, ca: pki.ca, servername: 'localhost', ...options });
      socket.on('error', () => undefined);
      teardowns.push(() => socket.destroy());
      return socket;
    }

    it('is encrypted once the client is through its handshake', async () => {
      const stream = await openServerStream({}, { tls: { key: pki.server.key, cert: pki.server.cert } });
      const connected = once(stream, 'connect');
      tlsPeer(stream.tunid);
      await connected;
      expect(stream.encrypted).toBe(true);
    });

    it('turns a stranger away before spending a handshake on it', async () => {
      const refused: string[] = [];
      const stream = await openServerStream(
        {},
        { allowFrom: HOST, tls: { key: pki.server.key, cert: pki.server.cert }, onRefused: (address) => refused.push(address) },
      );
      const stranger = tlsPeer(stream.tunid, { localAddress: '127.0.0.2' });
      expect(await tlsOutcome(stranger)).toBe('closed');
      expect(refused).toEqual(['127.0.0.2']);
      expect(stream.connected).toBe(false);
    });

    it('refuses a second client that connected while the first was in its handshake', async () => {
      const refused: string[] = [];
      const stream = await openServerStream(
        {},
        { allowFrom: HOST, tls: { key: pki.server.key, cert: pki.server.cert }, onRefused: (address) => refused.push(address) },
      );
      // The second client's TCP connection is in before the first one takes the tunnel.
      const second = await rawPeer(stream.tunid);
      const connected = nextEvent<[PeerAddress]>(stream, 'connect');
      const first = tlsPeer(stream.tunid);
      await once(first, 'secureConnect');
      const [remote] = await connected;
      expect(remote.port).toBe(first.localPort);
      // Now the second one finishes its handshake: the tunnel is taken.
      const reconnected = new Promise<string>((resolve) => stream.once('connect', () => resolve('attached again')));
      const late = tlsPeer(stream.tunid, { socket: second });
      const outcome = await Promise.race([once(late, 'close').then(() => 'closed'), reconnected]);
      expect(outcome).toBe('closed');
      expect(refused).toEqual([HOST]);
      expect(stream.remoteAddress()?.port).toBe(first.localPort);
    });
  });
});

describe('the client end of a stream', () => {
  let listener: NetServer;
  /** Server sides of the connections the listener accepted, in order. */
  let accepted: Socket[];

  beforeEach(async () => {
    accepted = [];
    listener = createNetServer((socket) => {
      socket.on('error', () => undefined);
      accepted.push(socket);
      listener.emit('accepted', socket);
    });
    listener.listen(0, HOST);
    await once(listener, 'listening');
    teardowns.push(() => {
      for (const socket of accepted) socket.destroy();
      listener.close();
    });
  });

  function port(): number {
    return (listener.address() as AddressInfo).port;
  }

  it('connects to the tunnel port and carries bytes both ways', async () => {
    const stream: TunnelStream = new VsoaClientStream(HOST, port(), undefined, {});
    teardowns.push(() => stream.destroy());
    const [serverSide] = (await once(listener, 'accepted')) as [Socket];
    await once(stream, 'connect');
    expect(stream.connected).toBe(true);
    const received = readAll(serverSide);
    stream.end('up');
    expect(await received).toBe('up');
  });

  it('connects over TLS when given TLS options, once the handshake is through', async () => {
    const pki = await makeTestPki();
    const server = createTlsServer({ key: pki.server.key, cert: pki.server.cert }, (socket) => socket.end('secret'));
    server.listen(0, HOST);
    await once(server, 'listening');
    teardowns.push(() => server.close());
    const stream = new VsoaClientStream(HOST, (server.address() as AddressInfo).port, { ca: pki.ca, servername: 'localhost' }, {});
    teardowns.push(() => stream.destroy());
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(stream, 'connect');
    expect(stream.encrypted).toBe(true);
    await once(stream, 'end');
    expect(Buffer.concat(chunks).toString()).toBe('secret');
  });

  it('leaves no connection behind when destroyed before it connected', async () => {
    const stream = new VsoaClientStream(HOST, port(), undefined, {});
    stream.destroy();
    // A marker connection made after it: anything the destroyed stream opened is accepted first.
    const marker = await rawPeer(port());
    const isMarker = (socket: Socket): boolean => socket.remotePort === marker.localPort;
    if (!accepted.some(isMarker)) await nextEvent<[Socket]>(listener, 'accepted', isMarker);
    expect(accepted.map((socket) => socket.remotePort)).toEqual([marker.localPort]);
  });
});
