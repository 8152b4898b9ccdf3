import { createSocket } from 'node:dgram';
import { connect as netConnect, Socket } from 'node:net';
import { encodePacket, Flag, PacketType, VsoaStatus } from '../index';
import type { VsoaPayload } from '../protocol/payload';
import { VsoaServer } from './server';
import type { RemoteClient } from './remote-client';
import type { VsoaServerOptions } from './types';
import { nextEvent } from '../../../../test/helpers/events';
import { RawPeer } from '../../../../test/helpers/raw-peer';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { EchoServer, echoServerFixture } from '../../../../test/helpers/echo-server';

/** What the server-side RemoteClient API does, as the client at the other end sees it. */
describe('RemoteClient', () => {
  const teardowns = teardownsAfterEach();

  const fixture = echoServerFixture(teardowns);
  const start = (options: VsoaServerOptions = {}): Promise<EchoServer> => fixture.start({ info: { name: 'rc' }, ...options });
  const { client, pair } = fixture;

  async function raw(port: number): Promise<RawPeer> {
    const peer = await RawPeer.open(port);
    teardowns.push(() => peer.destroy());
    return peer;
  }

  /** A raw peer after its handshake, and the server's RemoteClient for it. */
  async function rawPair(server: VsoaServer, port: number): Promise<{ peer: RawPeer; cli: RemoteClient }> {
    const joined = nextEvent<[RemoteClient, boolean]>(server, 'client', (_cli, connected) => connected);
    const peer = await raw(port);
    await peer.handshake();
    const [cli] = await joined;
    return { peer, cli };
  }

  const rpc = (seqno: number, url: string, extra: { param?: Buffer; flags?: number } = {}): Buffer =>
    encodePacket({ type: PacketType.RPC, seqno, url, ...extra });
  const ping = (seqno: number): Buffer => encodePacket({ type: PacketType.PINGECHO, seqno });

  describe('handler errors', () => {
    it('puts a thrown status 2-6 or 128-255 on the wire with the message; any other status is NO_RESPONDING without a param', async () => {
      const { server, port } = await start();
      server.command('/fail', (_cli, _req, payload) => {
        throw Object.assign(new Error('failed'), { status: payload.param });
      });
      const c = await client(port);
      const carried = [2, 3, 6, 128, 200, 255];
      const refused = [0, 1, 7, 127, 256, 2.5, -3, '3'];
      for (const status of carried) {
        expect(await c.fetch('/fail', { payload: { param: status } })).toMatchObject({ status, payload: { param: { error: 'failed' } } });
      }
      for (const status of refused) {
        const reply = await c.fetch('/fail', { payload: { param: status } });
        expect([status, reply.status, reply.payload]).toEqual([status, VsoaStatus.NO_RESPONDING, {}]);
      }
    });

    it('answers an error with a status but no message with that status and no param', async () => {
      const { server, port } = await start();
      server.command('/bare', () => {
        throw { status: VsoaStatus.NO_PERMISSIONS };
      });
      const c = await client(port);
      const reply = await c.fetch('/bare');
      expect(reply.status).toBe(VsoaStatus.NO_PERMISSIONS);
      expect(reply.payload).toEqual({});
    });

    it('logs what a handler threw or rejected with, an Error, a string or null, and answers NO_RESPONDING', async () => {
      const { server, port, log } = await start();
      server.command('/error', () => {
        throw new Error('bug');
      });
      server.command('/string', () => {
        throw 'plain';
      });
      server.command('/null', () => {
        throw null;
      });
      server.command('/rejects-null', () => Promise.reject(null));
      const c = await client(port);
      for (const url of ['/error', '/string', '/null', '/rejects-null']) {
        expect((await c.fetch(url)).status).toBe(VsoaStatus.NO_RESPONDING);
      }
      expect(log.warnings).toEqual([
        'command /error failed: bug',
        'command /string failed: plain',
        'command /null failed: null',
        'command /rejects-null failed: null',
      ]);
    });

    it('sends one reply only when a handler replies and then throws, and logs the error', async () => {
      const { server, port, log } = await start();
      server.command('/reply-then-throw', (cli, req) => {
        cli.reply(req.seqno, { param: 'first' });
        throw Object.assign(new Error('late'), { status: 130 });
      });
      server.command('/reply-then-reject', async (cli, req) => {
        cli.reply(req.seqno, { param: 'first' });
        throw new Error('later');
      });
      const { peer } = await rawPair(server, port);
      peer.send(Buffer.concat([rpc(5, '/reply-then-throw'), rpc(6, '/reply-then-reject')]));
      await log.warned('later');
      peer.send(ping(7));
      await peer.next((p) => p.type === PacketType.PINGECHO);
      const replies = peer.packets.filter((p) => p.type === PacketType.RPC);
      expect(replies.map((p) => [p.seqno, p.status, p.param.toString()])).toEqual([
        [5, 0, '"first"'],
        [6, 0, '"first"'],
      ]);
      expect(log.warnings).toEqual(['command /reply-then-throw failed: late', 'command /reply-then-reject failed: later']);
    });

    it('logs nothing for a handler that returns a value that is not a promise', async () => {
      const { server, port, log } = await start();
      server.command('/returns', (cli, req) => cli.reply(req.seqno, { param: 'ok' }));
      server.command('/returns-object', (cli, req) => {
        cli.reply(req.seqno, { param: 'ok' });
        return { then: 'not a function' };
      });
      const c = await client(port);
      expect((await c.fetch('/returns')).payload.param).toBe('ok');
      expect((await c.fetch('/returns-object')).payload.param).toBe('ok');
      expect(log.warnings).toEqual([]);
    });
  });

  describe('calls', () => {
    it('hands a rawParam command no param and no data when the call carries none, and the bytes when it does', async () => {
      const { server, port } = await start();
      const seen: VsoaPayload[] = [];
      server.command(
        '/raw',
        (cli, req, payload) => {
          seen.push(payload);
          cli.reply(req.seqno);
        },
        { rawParam: true },
      );
      const c = await client(port);
      await c.fetch('/raw');
      await c.fetch('/raw', { payload: { param: { a: 1 }, data: Buffer.from('d') } });
      expect(Object.keys(seen[0])).toEqual([]);
      expect(seen[1]).toEqual({ param: Buffer.from('{"a":1}'), data: Buffer.from('d') });
    });

    it('carries the tunid given to reply() to the caller', async () => {
      const { server, port } = await start();
      server.command('/tunnel', (cli, req) => cli.reply(req.seqno, undefined, { tunid: 4321 }));
      const c = await client(port);
      expect((await c.fetch('/tunnel')).tunid).toBe(4321);
      expect((await c.fetch('/echo')).tunid).toBe(0);
    });

    it('refuses a reply status outside 0-255 or not whole with INVALID_ARGUMENT, leaving the call open', async () => {
      const { server, port } = await start();
      const errors: unknown[] = [];
      server.command('/status', (cli, req) => {
        for (const status of [-1, 256, 1.5]) {
          try {
            cli.reply(req.seqno, undefined, { status });
          } catch (error) {
            errors.push(error);
          }
        }
        cli.reply(req.seqno, undefined, { status: 255 });
      });
      const c = await client(port);
      expect((await c.fetch('/status')).status).toBe(255);
      expect(errors).toEqual([
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'status must be an integer 0-255, got -1' }),
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'status must be an integer 0-255, got 256' }),
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'status must be an integer 0-255, got 1.5' }),
      ]);
    });

    it('sends a reply of exactly 256 KiB, and refuses one byte more with TOO_LARGE, the call still open', async () => {
      const { server, port } = await start();
      // 20-byte header + data, padded to a multiple of 4: 262124 bytes of data make 262144.
      let thrown: unknown;
      server.command('/sized', (cli, req, payload) => {
        const size = payload.param as number;
        try {
          cli.reply(req.seqno, { data: Buffer.alloc(size, 1) });
        } catch (error) {
          thrown = error;
          cli.reply(req.seqno, undefined, { status: VsoaStatus.NO_MEMORY });
        }
      });
      const c = await client(port);
      const fits = await c.fetch('/sized', { payload: { param: 256 * 1024 - 20 } });
      expect(fits.payload.data?.length).toBe(256 * 1024 - 20);
      expect(thrown).toBeUndefined();
      expect((await c.fetch('/sized', { payload: { param: 256 * 1024 - 19 } })).status).toBe(VsoaStatus.NO_MEMORY);
      expect(thrown).toMatchObject({ code: 'TOO_LARGE', message: 'packet of 262148 bytes exceeds 262144' });
    });

    it('answers calls one after another with maxCallsInFlight 1, a call of more than 64 KiB among them', async () => {
      const { port } = await start({ maxCallsInFlight: 1 });
      const c = await client(port);
      const big = Buffer.alloc(200 * 1024, 7);
      for (let i = 0; i < 3; i++) {
        expect((await c.fetch('/echo', { payload: { param: i } })).payload.param).toBe(i);
      }
      expect((await c.fetch('/echo', { payload: { data: big } })).payload.data?.equals(big)).toBe(true);
      for (let i = 0; i < 3; i++) {
        expect((await c.fetch('/echo', { payload: { param: i } })).payload.param).toBe(i);
      }
    });

    it('ignores a packet with the REPLY flag, and NOOP and QOSSETUP, and keeps the connection', async () => {
      const { server, port } = await start();
      let called = 0;
      server.command('/count', (cli, req) => {
        called++;
        cli.reply(req.seqno);
      });
      const { peer } = await rawPair(server, port);
      peer.send(rpc(9, '/count', { flags: Flag.REPLY }));
      peer.send(encodePacket({ type: PacketType.NOOP, seqno: 10 }));
      peer.send(encodePacket({ type: PacketType.QOSSETUP, seqno: 11, status: 3 }));
      peer.send(ping(12));
      const echo = await peer.next((p) => p.type === PacketType.PINGECHO);
      expect(echo).toMatchObject({ seqno: 12, status: 0 });
      expect(peer.packets).toEqual([]);
      expect(called).toBe(0);
      peer.send(rpc(13, '/count'));
      expect((await peer.next((p) => p.seqno === 13)).status).toBe(0);
      expect(called).toBe(1);
    });

    it('answers each PINGECHO with a successful echo and keeps serving', async () => {
      const { server, port } = await start();
      const { peer } = await rawPair(server, port);
      peer.send(ping(1));
      expect(await peer.next((p) => p.seqno === 1)).toMatchObject({ type: PacketType.PINGECHO, flags: Flag.REPLY, status: 0 });
      peer.send(ping(2));
      expect(await peer.next((p) => p.seqno === 2)).toMatchObject({ type: PacketType.PINGECHO, status: 0 });
      peer.send(rpc(3, '/echo', { param: Buffer.from('1') }));
      expect((await peer.next((p) => p.seqno === 3)).param.toString()).toBe('1');
      expect(peer.closed).toBe(false);
    });
  });

  describe('handshake', () => {
    it('refuses a wrong password and ignores what follows it in the same write', async () => {
      const { server, port, log } = await start({ passwd: 'secret' });
      const events: boolean[] = [];
      server.on('client', (_cli, connected) => events.push(connected));
      const peer = await raw(port);
      const hello = (seqno: number, passwd: string): Buffer =>
        encodePacket({ type: PacketType.SERVINFO, seqno, param: Buffer.from(JSON.stringify({ passwd })) });
      peer.send(Buffer.concat([hello(1, 'wrong'), hello(2, 'secret'), rpc(3, '/echo')]));
      await peer.whenClosed(2000);
      expect(peer.packets.map((p) => [p.type, p.seqno, p.status])).toEqual([[PacketType.SERVINFO, 1, VsoaStatus.PASSWORD]]);
      expect(events).toEqual([]);
      expect(log.warnings).toEqual(['connection from 127.0.0.1 refused: wrong password']);
      expect(server.counters.passwordRefused).toBe(1);
    });

    it('refuses a handshake whose param is null, a string, not JSON or missing when a password is set', async () => {
      const { server, port } = await start({ passwd: 'secret' });
      for (const param of ['null', '"secret"', '{nope', '']) {
        const peer = await raw(port);
        peer.send(encodePacket({ type: PacketType.SERVINFO, seqno: 4, param: Buffer.from(param) }));
        expect([param, (await peer.next(() => true)).status]).toEqual([param, VsoaStatus.PASSWORD]);
        await peer.whenClosed(2000);
      }
      expect(server.counters.passwordRefused).toBe(4);
      expect(server.counters.protocolErrors).toBe(0);
    });

    it('refuses a first packet that is not a handshake, a SERVINFO reply included, counting a protocol error', async () => {
      const { server, port, log } = await start();
      const first = await raw(port);
      first.send(rpc(7, '/echo'));
      expect(await first.next(() => true)).toMatchObject({
        type: PacketType.RPC,
        seqno: 7,
        status: VsoaStatus.PASSWORD,
        flags: Flag.REPLY,
      });
      await first.whenClosed(2000);
      const second = await raw(port);
      second.send(encodePacket({ type: PacketType.SERVINFO, flags: Flag.REPLY, seqno: 8 }));
      expect(await second.next(() => true)).toMatchObject({ type: PacketType.SERVINFO, seqno: 8, status: VsoaStatus.PASSWORD });
      await second.whenClosed(2000);
      expect(server.counters.protocolErrors).toBe(2);
      expect(server.counters.closedForProtocol).toBe(2);
      expect(log.warnings).toEqual([
        'connection from 127.0.0.1 refused: first packet is not a handshake',
        'connection from 127.0.0.1 refused: first packet is not a handshake',
      ]);
    });

    it('answers a second handshake with the same id, without reporting the client again or re-authing it', async () => {
      const { server, port } = await start();
      const events: boolean[] = [];
      server.on('client', (_cli, connected) => events.push(connected));
      const { peer, cli } = await rawPair(server, port);
      cli.authed = false;
      peer.send(encodePacket({ type: PacketType.SERVINFO, seqno: 21, param: Buffer.from('{}') }));
      const again = await peer.next((p) => p.seqno === 21);
      expect(again).toMatchObject({ type: PacketType.SERVINFO, status: 0, flags: Flag.REPLY });
      expect(again.data.readUInt32BE(0)).toBe(cli.id);
      expect(JSON.parse(again.param.toString())).toEqual({ name: 'rc' });
      expect(events).toEqual([true]);
      expect(cli.authed).toBe(false);
      expect(cli.connected).toBe(true);
    });

    it('logs the handshake timeout it closed a silent connection for', async () => {
      const { server, port, log } = await start({ handshakeTimeout: 150 });
      const peer = await raw(port);
      await peer.whenClosed(2000);
      expect(await log.warned('no handshake')).toBe('connection from 127.0.0.1 closed: no handshake in 150 ms');
      expect(server.counters.handshakeTimeouts).toBe(1);
    });

    it('reports no client for a connection that closes before its handshake', async () => {
      const { server, port } = await start();
      const events: boolean[] = [];
      server.on('client', (_cli, connected) => events.push(connected));
      const peer = await raw(port);
      peer.send(rpc(1, '/echo'));
      await peer.whenClosed(2000);
      // A connection made after the first one closed: the server has seen that close by its handshake.
      const { cli } = await pair(server, port);
      expect(events).toEqual([true]);
      expect(server.clients()).toEqual([cli]);
      expect(server.counters.connections).toBe(2);
    });
  });

  describe('connection state', () => {
    it('is connected after the handshake, closed and no longer connected once gone', async () => {
      const { server, port } = await start();
      const { c, cli } = await pair(server, port);
      expect([cli.connected, cli.closed]).toEqual([true, false]);
      const left = nextEvent<[RemoteClient, boolean]>(server, 'client', (_cli, connected) => !connected);
      await c.close();
      const [gone] = await left;
      expect(gone).toBe(cli);
      expect([cli.connected, cli.closed]).toEqual([false, true]);
    });

    it('closes a connection that sends bytes that are no packet, counting and logging the protocol error', async () => {
      const { server, port, log } = await start();
      const { peer } = await rawPair(server, port);
      peer.send(Buffer.alloc(32, 0xff));
      await peer.whenClosed(2000);
      expect(await log.warned('closed:')).toMatch(/^connection from 127\.0\.0\.1 closed: bad magic/);
      expect(server.counters.protocolErrors).toBe(1);
      expect(server.counters.closedForProtocol).toBe(1);
    });

    it('logs a socket error at debug, not as a TLS renegotiation, and drops the client', async () => {
      const { server, port, log } = await start();
      const { peer, cli } = await rawPair(server, port);
      const left = nextEvent(server, 'client', (_c, connected) => !connected);
      peer.socket.resetAndDestroy();
      await left;
      expect(log.debugs).toContainEqual(`client ${cli.id} socket error: read ECONNRESET`);
      expect(server.counters.tlsHandshakeFailures).toBe(0);
      expect(log.warnings).toEqual([]);
    });

    it('logs the client it drops for a send queue that stays undrained', async () => {
      const { server, port, log } = await start({ maxQueuedBytes: 64 * 1024 * 1024, sendTimeout: 200 });
      const { peer, cli } = await rawPair(server, port);
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 1, url: '/flood' }));
      await peer.next((p) => p.seqno === 1);
      peer.socket.pause();
      const dropped = nextEvent(server, 'client', (_c, connected) => !connected, 2500);
      for (let i = 0; i < 100; i++) server.publish('/flood', { data: Buffer.alloc(60 * 1024) });
      await dropped;
      expect(await log.warned('dropped')).toBe(`client ${cli.id} (127.0.0.1) dropped: send queue not drained in 200 ms`);
    });

    it('settles a graceful close at once when the client whose call was waiting leaves', async () => {
      const { server, port } = await start();
      let arrived!: () => void;
      const handling = new Promise<void>((resolve) => (arrived = resolve));
      server.command('/never', () => arrived());
      const c = await client(port);
      const call = c.fetch('/never').catch((error: unknown) => error);
      await handling;
      const began = Date.now();
      const closed = server.close({ drainTimeout: 5000 });
      await c.close();
      await call;
      await closed;
      expect(Date.now() - began).toBeLessThan(2000);
    });

    it('ends a graceful close of a peer that keeps its side open after about a second', async () => {
      const { server, port } = await start();
      const socket: Socket = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true });
      teardowns.push(() => socket.destroy());
      socket.on('error', () => undefined);
      socket.resume();
      const joined = nextEvent(server, 'client');
      socket.write(encodePacket({ type: PacketType.SERVINFO, seqno: 1, param: Buffer.from('{}') }));
      await joined;
      const ended = new Promise<void>((resolve) => socket.once('end', resolve));
      const began = Date.now();
      const left = nextEvent(server, 'client', (_c, connected) => !connected, 2500);
      await server.close({ drainTimeout: 100 });
      await ended;
      await left;
      expect(Date.now() - began).toBeGreaterThanOrEqual(900);
    });
  });

  describe('priority', () => {
    it('accepts 0 to 7 and refuses anything else with INVALID_ARGUMENT', async () => {
      const { server, port } = await start();
      const { c, cli } = await pair(server, port);
      for (const value of [7, 0]) {
        const got = nextEvent<[number]>(c, 'priority');
        cli.priority = value;
        expect((await got)[0]).toBe(value);
        expect(cli.priority).toBe(value);
      }
      for (const value of [-1, 8, 1.5]) {
        expect(() => (cli.priority = value)).toThrow(
          expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `priority must be an integer 0-7, got ${value}` }),
        );
      }
      expect(cli.priority).toBe(0);
    });
  });

  describe('subscriptions', () => {
    it('adds the new URLs of a list whose first URL is already held, counting only those against maxSubscriptions', async () => {
      const { server, port } = await start({ maxSubscriptions: 3 });
      const { peer, cli } = await rawPair(server, port);
      const list = (seqno: number, urls: string[]): void =>
        peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno, param: Buffer.from(JSON.stringify(urls)) }));
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 1, url: '/a' }));
      expect((await peer.next((p) => p.seqno === 1)).status).toBe(0);
      list(2, ['/a', '/b']);
      expect((await peer.next((p) => p.seqno === 2)).status).toBe(0);
      list(3, ['/c', '/c', '/a']);
      expect((await peer.next((p) => p.seqno === 3)).status).toBe(0);
      expect(cli.subscribed().sort()).toEqual(['/a', '/b', '/c']);
      expect(server.isSubscribed('/b')).toBe(true);
    });

    it('logs how many subscriptions a refused one would add and how many the client holds', async () => {
      const { server, port, log } = await start({ maxSubscriptions: 1 });
      const { peer, cli } = await rawPair(server, port);
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 1, url: '/a' }));
      await peer.next((p) => p.seqno === 1);
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 2, param: Buffer.from('["/b","/c"]') }));
      expect((await peer.next((p) => p.seqno === 2)).status).toBe(VsoaStatus.NO_MEMORY);
      expect(log.warnings).toEqual([`client ${cli.id} refused 2 more subscription(s): it holds 1 (maxSubscriptions)`]);
    });

    it('answers a SUBSCRIBE with no URL, or an empty list, ARGUMENTS and keeps what the client holds', async () => {
      const { server, port } = await start();
      const { peer, cli } = await rawPair(server, port);
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 1, url: '/kept' }));
      await peer.next((p) => p.seqno === 1);
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 2 }));
      expect((await peer.next((p) => p.seqno === 2)).status).toBe(VsoaStatus.ARGUMENTS);
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 3, param: Buffer.from('[]') }));
      expect((await peer.next((p) => p.seqno === 3)).status).toBe(VsoaStatus.ARGUMENTS);
      peer.send(encodePacket({ type: PacketType.UNSUBSCRIBE, seqno: 4, param: Buffer.from('[]') }));
      expect((await peer.next((p) => p.seqno === 4)).status).toBe(VsoaStatus.ARGUMENTS);
      expect(cli.subscribed()).toEqual(['/kept']);
    });

    it("emits 'unsubscribe' with the URLs, or null for all of them", async () => {
      const { server, port } = await start();
      const { peer, cli } = await rawPair(server, port);
      const seen: Array<string[] | null> = [];
      cli.on('unsubscribe', (urls) => seen.push(urls));
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 1, param: Buffer.from('["/a","/b"]') }));
      peer.send(encodePacket({ type: PacketType.UNSUBSCRIBE, seqno: 2, url: '/a' }));
      peer.send(encodePacket({ type: PacketType.UNSUBSCRIBE, seqno: 3 }));
      await peer.next((p) => p.seqno === 3);
      expect(seen).toEqual([['/a'], null]);
      expect(cli.subscriptionCount).toBe(0);
    });
  });

  describe('datagrams', () => {
    it('delivers only the datagrams whose URL is valid, counting them', async () => {
      const { server, port } = await start();
      const { peer } = await rawPair(server, port);
      const delivered: string[] = [];
      server.on('datagram', (_cli, url) => delivered.push(url));
      peer.send(encodePacket({ type: PacketType.DATAGRAM, url: 'no-slash', param: Buffer.from('1') }));
      peer.send(encodePacket({ type: PacketType.DATAGRAM, url: '/ok', param: Buffer.from('2') }));
      peer.send(ping(5));
      await peer.next((p) => p.seqno === 5);
      expect(delivered).toEqual(['/ok']);
      expect(server.counters.datagramsReceived).toBe(1);
    });

    it('refuses a datagram to an invalid URL with INVALID_ARGUMENT, and counts the ones it sends', async () => {
      const { server, port } = await start();
      const { c, cli } = await pair(server, port);
      expect(() => cli.datagram('nope')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'invalid URL "nope"' }));
      const got = nextEvent<[string]>(c, 'datagram', (url) => url === '/q');
      expect(cli.datagram('/r', { param: 1 })).toBe(true);
      expect(cli.datagram('/q', { param: 2 }, { quick: true })).toBe(true);
      await got;
      expect(server.counters.datagramsSent).toBe(2);
    });

    it('sends nothing, and counts nothing, to a client that has left', async () => {
      const { server, port } = await start();
      const { c, cli } = await pair(server, port);
      const left = nextEvent(server, 'client', (_c, connected) => !connected);
      await c.close();
      await left;
      expect(cli.datagram('/r', { param: 1 })).toBe(false);
      expect(cli.datagram('/q', { param: 1 }, { quick: true })).toBe(false);
      expect(server.counters.datagramsSent).toBe(0);
    });

    it('sends a quick datagram over TCP to a client that announced no UDP port', async () => {
      const { server, port } = await start();
      const { peer, cli } = await rawPair(server, port);
      expect(cli.quickPort).toBe(0);
      expect(cli.datagram('/quick', { param: 3 }, { quick: true })).toBe(true);
      const got = await peer.next((p) => p.type === PacketType.DATAGRAM);
      expect([got.url, got.param.toString()]).toEqual(['/quick', '3']);
    });

    it('sends a quick datagram of the largest UDP size, and refuses a larger one with TOO_LARGE', async () => {
      const { server, port } = await start();
      const { c, cli } = await pair(server, port);
      // 20-byte header + '/q' + data, padded to 4: 65482 bytes of data make 65504, the largest that fits 65507.
      const got = nextEvent<[string, VsoaPayload, boolean]>(c, 'datagram');
      expect(cli.datagram('/q', { data: Buffer.alloc(65482) }, { quick: true })).toBe(true);
      const [, payload, quick] = await got;
      expect([payload.data?.length, quick]).toEqual([65482, true]);
      expect(() => cli.datagram('/q', { data: Buffer.alloc(65483) }, { quick: true })).toThrow(
        expect.objectContaining({ code: 'TOO_LARGE', message: 'quick packet of 65508 bytes exceeds 65507' }),
      );
    });

    it('ignores quick packets that are not datagrams or are replies, and counts and logs bad ones', async () => {
      const { server, port, log } = await start();
      const { c } = await pair(server, port);
      const udp = createSocket('udp4');
      teardowns.push(() => udp.close());
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      const delivered: string[] = [];
      server.on('datagram', (_cli, url) => delivered.push(url));
      const last = nextEvent(server, 'datagram', (_cli, url) => url === '/ok');
      const send = (bytes: Buffer): Promise<void> =>
        new Promise((resolve, reject) => udp.send(bytes, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
      await send(encodePacket({ type: PacketType.PUBLISH, seqno: c.id, url: '/publish' }));
      await send(encodePacket({ type: PacketType.DATAGRAM, flags: Flag.REPLY, seqno: c.id, url: '/reply' }));
      await send(Buffer.from('not a packet'));
      await send(encodePacket({ type: PacketType.DATAGRAM, seqno: c.id, url: '/ok' }));
      await last;
      expect(delivered).toEqual(['/ok']);
      expect(server.counters.badDatagrams).toBe(1);
      expect(log.warnings).toEqual([`bad UDP packet from 127.0.0.1:${udp.address().port}`]);
    });
  });
});
