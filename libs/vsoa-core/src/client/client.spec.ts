import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { encodePacket, Flag, METHOD_GET, METHOD_SET, PacketType, VsoaConnectCode, VsoaConnectError } from '../index';
import { VsoaServer } from '../server/server';
import { VsoaClient } from './client';
import type { RemoteClient } from '../server/remote-client';
import { nextEvent } from '../../../../test/helpers/events';
import { FakeServer, handshakeReply } from '../../../../test/helpers/fake-server';

describe('VsoaClient', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  async function ourServer(port = 0, beforeListen?: (server: VsoaServer) => void): Promise<VsoaServer> {
    const server = new VsoaServer({ info: { name: 'srv' } });
    beforeListen?.(server);
    server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
    server.command('/never', () => undefined);
    await server.listen({ host: '127.0.0.1', port });
    cleanups.push(() => server.close());
    return server;
  }

  function newClient(options?: ConstructorParameters<typeof VsoaClient>[0]): VsoaClient {
    const client = new VsoaClient(options);
    cleanups.push(() => client.close());
    return client;
  }

  describe('connect errors', () => {
    it('CONNECT_ERROR when nothing listens', async () => {
      const server = await ourServer();
      const port = server.address()!.port;
      await server.close();
      await expect(newClient().connect(`vsoa://127.0.0.1:${port}`)).rejects.toMatchObject({
        name: 'VsoaConnectError',
        code: 'CONNECT_ERROR',
        errno: VsoaConnectCode.CONNECT_ERROR,
      });
    });

    it('SERVER_NO_RESPONDING when the server never answers the handshake', async () => {
      const fake = new FakeServer();
      cleanups.push(() => fake.close());
      const port = await fake.listen();
      await expect(newClient().connect(`vsoa://127.0.0.1:${port}`, { timeout: 300 })).rejects.toMatchObject({
        code: 'SERVER_NO_RESPONDING',
        errno: 4,
      });
    });

    it('INVALID_RESPONDING when the server answers with something else', async () => {
      const fake = new FakeServer((p, s) => s.write(encodePacket({ type: PacketType.RPC, flags: Flag.REPLY, seqno: p.seqno })));
      cleanups.push(() => fake.close());
      const port = await fake.listen();
      await expect(newClient().connect(`vsoa://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'INVALID_RESPONDING', errno: 5 });
    });

    it('INVALID_RESPONDING when the server closes during the handshake', async () => {
      const fake = new FakeServer((_p, s) => s.destroy());
      cleanups.push(() => fake.close());
      const port = await fake.listen();
      await expect(newClient().connect(`vsoa://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'INVALID_RESPONDING' });
    });

    it('refuses a URL that is not vsoa://host:port', async () => {
      await expect(newClient().connect('http://127.0.0.1:1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(newClient().connect('vsoa://127.0.0.1')).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND', errno: 3 });
    });

    it("numbers the codes as the seed's Client does", () => {
      expect(VsoaConnectCode).toEqual({
        CONNECT_OK: 0,
        CONNECT_ERROR: 1,
        CONNECT_UNREACHABLE: 2,
        SERVER_NOT_FOUND: 3,
        SERVER_NO_RESPONDING: 4,
        INVALID_RESPONDING: 5,
        INVALID_PASSWD: 6,
        SSL_HS_FAILED: 7,
      });
      const errnos = (['UNREACHABLE', 'INVALID_PASSWD', 'SSL_HS_FAILED'] as const).map((code) => new VsoaConnectError(code, '').errno);
      expect(errnos).toEqual([2, 6, 7]);
    });
  });

  it('sends nothing but SERVINFO before the handshake reply', async () => {
    let hello!: (reply: () => void) => void;
    const helloSeen = new Promise<() => void>((resolve) => (hello = resolve));
    const fake = new FakeServer((p, s) => {
      if (p.type === PacketType.SERVINFO) hello(() => s.write(handshakeReply(p.seqno, 42)));
    });
    cleanups.push(() => fake.close());
    const port = await fake.listen();
    const client = newClient();
    const connecting = client.connect(`vsoa://127.0.0.1:${port}`);
    const reply = await helloSeen;
    await expect(client.fetch('/early')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await expect(client.ping()).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await expect(client.subscribe('/early')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    expect(client.datagram('/early')).toBe(false);
    expect(fake.received.map((p) => p.type)).toEqual([PacketType.SERVINFO]);
    expect(JSON.parse(fake.received[0].param.toString())).toEqual({});
    reply();
    await expect(connecting).resolves.toBe('fake');
    expect(client.id).toBe(42);
  });

  it('keeps the link it has when a stopped robot finishes connecting after it', async () => {
    let hello!: (reply: () => void) => void;
    const helloSeen = new Promise<() => void>((resolve) => (hello = resolve));
    const slow = new FakeServer((p, s) => {
      if (p.type === PacketType.SERVINFO) hello(() => s.write(handshakeReply(p.seqno, 7)));
    });
    cleanups.push(() => slow.close());
    const slowPort = await slow.listen();
    const server = await ourServer();
    const client = newClient();
    client.robot(`vsoa://127.0.0.1:${slowPort}`, { reconnDelay: 50 });
    const reply = await helloSeen;
    client.disconnect();
    await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
    const disconnects: unknown[] = [];
    client.on('disconnect', (error) => disconnects.push(error));
    // The robot's handshake completes now: its link is closed, the user's stays.
    const slowClosed = once(slow.sockets[0], 'close');
    reply();
    await slowClosed;
    expect(client.connected).toBe(true);
    await client.ping(2000); // rejects when the link is gone
    expect(server.count).toBe(1);
    expect(disconnects).toEqual([]);
  });

  it('announces its UDP port in the handshake and sends quick datagrams from it, with its id', async () => {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => udp.close());
    const fake = new FakeServer((p, s) => {
      if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 7, udp.address().port));
    });
    cleanups.push(() => fake.close());
    const port = await fake.listen();
    const client = newClient();
    await client.connect(`vsoa://127.0.0.1:${port}`);
    const got = new Promise<[Buffer, number]>((resolve) => udp.once('message', (msg, rinfo) => resolve([msg, rinfo.port])));
    client.datagram('/q', { param: 1 }, { quick: true });
    const [msg, fromPort] = await got;
    expect(fromPort).toBe(fake.received[0].tunid);
    expect(fake.received[0].flags & Flag.TUNNEL).toBeTruthy();
    expect(msg.readUInt32BE(4)).toBe(7);
  });

  it('sends a quick datagram right after connecting by host name', async () => {
    const server = await ourServer();
    const got = nextEvent<[unknown, string, unknown, boolean]>(server, 'datagram');
    const client = newClient();
    await client.connect(`vsoa://localhost:${server.address()!.port}`);
    expect(client.datagram('/q', { param: 1 }, { quick: true })).toBe(true);
    const [, url, , quick] = await got;
    expect([url, quick]).toEqual(['/q', true]);
  });

  it('survives ICMP port unreachable on its UDP socket', async () => {
    // The handshake names a UDP port where nothing listens: quick sends provoke ICMP errors.
    const dead = createSocket('udp4');
    await new Promise<void>((resolve) => dead.bind(0, '127.0.0.1', resolve));
    const deadPort = dead.address().port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const fake = new FakeServer((p, s) => {
      if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 1, deadPort));
      if (p.type === PacketType.PINGECHO) s.write(encodePacket({ type: PacketType.PINGECHO, flags: Flag.REPLY, seqno: p.seqno }));
    });
    cleanups.push(() => fake.close());
    const port = await fake.listen();
    const client = newClient();
    await client.connect(`vsoa://127.0.0.1:${port}`);
    for (let i = 0; i < 5; i++) {
      client.datagram('/q', { param: i }, { quick: true });
      await client.ping();
    }
    expect(client.connected).toBe(true);
  });

  it('rejects pending calls with CLOSED when the link drops, and calls after it with NOT_CONNECTED', async () => {
    let arrived!: () => void;
    const handling = new Promise<void>((resolve) => (arrived = resolve));
    const server = await ourServer(0, (srv) => srv.command('/held', () => arrived()));
    const client = newClient();
    await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
    const pending = client.fetch('/held');
    // The call is out and waiting for its reply when the link drops.
    await handling;
    server.clients()[0].close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED', message: expect.stringMatching(/closed/i) });
    expect(client.connected).toBe(false);
    await expect(client.fetch('/echo')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it("disconnect() closes the link but keeps the client for a later connect, as the seed's disconnect()", async () => {
    const server = await ourServer();
    const url = `vsoa://127.0.0.1:${server.address()!.port}`;
    const client = newClient();
    await client.connect(url);
    await client.subscribe('/news');
    const pending = client.fetch('/never');
    const dropped = nextEvent(client, 'disconnect');
    client.disconnect();
    await dropped;
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(client.connected).toBe(false);
    expect(client.subscribed()).toEqual([]);

    await client.connect(url);
    expect((await client.fetch('/echo', { payload: { param: 'again' } })).payload.param).toBe('again');

    // With a robot: disconnect() stops it too, and a new robot may start.
    client.disconnect();
    const relinked = nextEvent(client, 'connect');
    client.robot(url, { reconnDelay: 50 });
    await relinked;
    client.disconnect();
    expect(() => client.robot(url)).not.toThrow();
  });

  it('rejects a call with TIMEOUT within its own timeout', async () => {
    const server = await ourServer();
    const client = newClient();
    await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
    const start = Date.now();
    await expect(client.fetch('/never', { timeout: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const took = Date.now() - start;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(600);
    expect((await client.fetch('/echo', { payload: { param: 1 } })).payload.param).toBe(1);
  });

  it('takes the method as GET/SET in any case or as METHOD_GET/METHOD_SET, and refuses anything else before sending', async () => {
    const server = await ourServer();
    const methods: string[] = [];
    server.command('/m', (cli, req) => {
      methods.push(req.method);
      cli.reply(req.seqno);
    });
    const client = newClient();
    await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
    for (const method of ['SET', 'set', 'Set', METHOD_SET, 'GET', 'get', METHOD_GET, undefined])
      await client.fetch('/m', { method: method as never });
    expect(methods).toEqual(['SET', 'SET', 'SET', 'SET', 'GET', 'GET', 'GET', 'GET']);
    for (const method of ['POST', 'SETX', 2, -1, true, null]) {
      await expect(client.fetch('/m', { method: method as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    // Nothing went out for the refused ones.
    await client.fetch('/m');
    expect(methods).toHaveLength(9);
  });

  it('rejects a subscribe the server answers with a non-zero status', async () => {
    const fake = new FakeServer((p, s) => {
      if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 1));
      if (p.type === PacketType.SUBSCRIBE)
        s.write(encodePacket({ type: PacketType.SUBSCRIBE, flags: Flag.REPLY, status: 3, seqno: p.seqno }));
    });
    cleanups.push(() => fake.close());
    const port = await fake.listen();
    const client = newClient();
    await client.connect(`vsoa://127.0.0.1:${port}`);
    const accepted: string[] = [];
    client.on('subscribed', (url) => accepted.push(url));
    await expect(client.subscribe(['/a', '/b'])).rejects.toMatchObject({ name: 'VsoaStatusError', status: 3 });
    expect(accepted).toEqual([]);
    // One SUBSCRIBE per URL, which every server implementation accepts.
    expect(fake.received.filter((p) => p.type === PacketType.SUBSCRIBE).map((p) => p.url)).toEqual(['/a', '/b']);
    expect(client.subscribed()).toEqual([]);
  });

  describe('robot', () => {
    it('reconnects after the server restarts on the same port and re-subscribes', async () => {
      let server = await ourServer();
      const port = server.address()!.port;
      const client = newClient();
      const first = nextEvent(client, 'connect');
      client.robot(`vsoa://127.0.0.1:${port}`, { keepalive: 200, reconnDelay: 100 });
      await first;
      await client.subscribe('/news/');
      const dropped = nextEvent(client, 'disconnect');
      await server.close();
      await dropped;
      await expect(client.fetch('/echo')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
      let resubscribed!: Promise<unknown[]>;
      server = await ourServer(port, (next) => {
        resubscribed = nextEvent(next, 'client').then(([cli]) => nextEvent(cli as RemoteClient, 'subscribe'));
      });
      const renewed = nextEvent<[string]>(client, 'subscribed');
      expect((await resubscribed)[0]).toEqual(['/news/']);
      // The client says when the server has taken the renewed subscription.
      expect(await renewed).toEqual(['/news/']);
      const got = nextEvent<[string]>(client, 'message');
      server.publish('/news/x', { param: 'hello' });
      expect((await got)[0]).toBe('/news/x');
      expect((await client.fetch('/echo', { payload: { param: 2 } })).payload.param).toBe(2);
    });

    it('keeps trying while the server is down, reporting each failed attempt', async () => {
      const server = await ourServer();
      const port = server.address()!.port;
      await server.close();
      const client = newClient();
      const failed = nextEvent(client, 'connectError');
      client.robot(`vsoa://127.0.0.1:${port}`, { reconnDelay: 50, connTimeout: 500 });
      expect((await failed)[0]).toMatchObject({ code: 'CONNECT_ERROR' });
      const connected = nextEvent(client, 'connect');
      await ourServer(port);
      await connected;
    });

    it('drops a link whose pings are lost and reconnects', async () => {
      // A server that answers the handshake but never a ping.
      const fake = new FakeServer((p, s) => {
        if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 1));
      });
      cleanups.push(() => fake.close());
      const port = await fake.listen();
      const client = newClient();
      const first = nextEvent(client, 'connect');
      client.robot(`vsoa://127.0.0.1:${port}`, { keepalive: 50, pingTimeout: 50, pingLost: 2, reconnDelay: 20 });
      await first;
      const [error] = await nextEvent<[Error]>(client, 'disconnect', () => true, 3000);
      expect(error).toMatchObject({ code: 'TIMEOUT' });
      await nextEvent(client, 'connect', () => true, 3000);
      expect(fake.received.filter((p) => p.type === PacketType.PINGECHO).length).toBeGreaterThanOrEqual(2);
    });

    /** A server that admits the client, answers its pings and notes when each came; never answers a call. */
    async function pingCounter(): Promise<{ pings: number[]; port: number }> {
      const pings: number[] = [];
      const fake = new FakeServer((p, s) => {
        if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 1));
        if (p.type === PacketType.PINGECHO) {
          pings.push(Date.now());
          s.write(encodePacket({ type: PacketType.PINGECHO, flags: Flag.REPLY, seqno: p.seqno }));
        }
      });
      cleanups.push(() => fake.close());
      return { pings, port: await fake.listen() };
    }

    it('pings faster while calls are pending (turbo)', async () => {
      const { pings, port } = await pingCounter();
      const client = newClient();
      const first = nextEvent(client, 'connect');
      client.robot(`vsoa://127.0.0.1:${port}`, { keepalive: 10_000, turbo: 25 });
      await first;
      const call = client.fetch('/slow', { timeout: 400 }).catch(() => undefined);
      await call;
      // Without turbo there would be no ping at all within a 10 s keepalive.
      expect(pings.length).toBeGreaterThanOrEqual(5);
    });

    it("turns turbo on and off on a running robot with robotPingTurbo (the seed's robot_ping_turbo)", async () => {
      const { pings, port } = await pingCounter();
      const client = newClient();
      expect(() => client.robotPingTurbo(25)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      const first = nextEvent(client, 'connect');
      client.robot(`vsoa://127.0.0.1:${port}`, { keepalive: 10_000 });
      await first;
      await client.fetch('/slow', { timeout: 200 }).catch(() => undefined);
      expect(pings).toHaveLength(0); // no turbo: no ping within the keepalive

      client.robotPingTurbo(25);
      await client.fetch('/slow', { timeout: 300 }).catch(() => undefined);
      expect(pings.length).toBeGreaterThanOrEqual(4);

      client.robotPingTurbo(0);
      const before = pings.length;
      await client.fetch('/slow', { timeout: 200 }).catch(() => undefined);
      expect(pings.length).toBe(before);
      expect(() => client.robotPingTurbo(10)).toThrow(/turbo must be 0 \(off\) or at least 25 ms/);
      expect(() => client.robotPingTurbo(20_000)).toThrow(/must not exceed keepalive/);
    });

    it('refuses the robot options the seed refuses, naming the option', () => {
      const url = 'vsoa://127.0.0.1:1';
      const cases: Array<[Parameters<VsoaClient['robot']>[1], RegExp]> = [
        [{ keepalive: 10 }, /keepalive must be at least 50 ms/],
        [{ connTimeout: 10 }, /connTimeout must be at least 50 ms/],
        [{ turbo: 10 }, /turbo must be 0 \(off\) or at least 25 ms/],
        [{ keepalive: 1000, turbo: 2000 }, /turbo \(2000 ms\) must not exceed keepalive \(1000 ms\)/],
        [{ turbo: 5000 }, /must not exceed keepalive \(3000 ms\)/],
        [{ reconnDelay: -1 }, /reconnDelay must be >= 0/],
        [{ pingLost: 0 }, /pingLost must be a whole number >= 1/],
      ];
      for (const [options, message] of cases) {
        const client = newClient();
        expect(() => client.robot(url, options)).toThrow(message);
      }
    });
  });
});
