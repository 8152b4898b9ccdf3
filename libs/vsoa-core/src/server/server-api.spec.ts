import { EventEmitter } from 'node:events';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect as netConnect, createServer as createNetServer } from 'node:net';
import { VsoaClient } from '../client/client';
import { VsoaServer } from './server';
import type { RemoteClient } from './remote-client';
import type { VsoaServerOptions } from './types';
import { nextEvent } from '../../../../test/helpers/events';
import { disposeTestPki, makeTestPki } from '../../../../test/helpers/certs';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { echoServerFixture } from '../../../../test/helpers/echo-server';

/** The backlog (Send-Q column of `ss -l`) of the TCP listener on `port`. */
function listenBacklog(port: number): number {
  const line = execFileSync('ss', ['-ltnH', `( sport = :${port} )`], { encoding: 'utf8' }).trim();
  return Number(line.split(/\s+/)[2]);
}

/** The server's public API: options, registration, listening, publishing, streams and closing. */
describe('VsoaServer API', () => {
  const teardowns = teardownsAfterEach();
  afterAll(() => disposeTestPki());

  const { start, client, pair } = echoServerFixture(teardowns);

  describe('options', () => {
    it.each(['maxSubscriptions', 'maxCallsInFlight', 'maxStreamsPerClient'] as const)(
      'refuses a %s that is not a whole number of at least 1, and takes 1',
      (name) => {
        for (const value of [0, -2, 1.5]) {
          expect(() => new VsoaServer({ [name]: value })).toThrow(
            expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `${name} must be a whole number >= 1, got ${value}` }),
          );
        }
        expect(() => new VsoaServer({ [name]: 1 })).not.toThrow();
      },
    );

    it("hands clients { name: 'vsoa' } as server info by default, and the info given, a string as JSON", async () => {
      const plain = await start();
      const b = new VsoaClient({ timeout: 2000 });
      teardowns.push(() => b.close());
      await expect(b.connect(`vsoa://127.0.0.1:${plain.port}`)).resolves.toEqual({ name: 'vsoa' });
      const named = await start({ info: 'hello' });
      const c = new VsoaClient({ timeout: 2000 });
      teardowns.push(() => c.close());
      await expect(c.connect(`vsoa://127.0.0.1:${named.port}`)).resolves.toBe('hello');
      named.server.info = 'changed';
      const d = new VsoaClient({ timeout: 2000 });
      teardowns.push(() => d.close());
      await expect(d.connect(`vsoa://127.0.0.1:${named.port}`)).resolves.toBe('changed');
      // A string that reads as JSON stays a string: the info is always sent as JSON text.
      const digits = await start({ info: '5' });
      const e = new VsoaClient({ timeout: 2000 });
      teardowns.push(() => e.close());
      await expect(e.connect(`vsoa://127.0.0.1:${digits.port}`)).resolves.toBe('5');
      digits.server.info = '6';
      const f = new VsoaClient({ timeout: 2000 });
      teardowns.push(() => f.close());
      await expect(f.connect(`vsoa://127.0.0.1:${digits.port}`)).resolves.toBe('6');
    });
  });

  describe('commands', () => {
    it('refuses a command URL that does not start with / with INVALID_ARGUMENT', () => {
      const server = new VsoaServer();
      expect(() => server.command('echo', () => undefined)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `command URL must start with '/': "echo"` }),
      );
    });

    it('tells whether a command is registered under exactly a URL', () => {
      const server = new VsoaServer();
      server.command('/echo', () => undefined);
      server.command('/files/', () => undefined);
      expect(server.hasCommand('/echo')).toBe(true);
      expect(server.hasCommand('/files/')).toBe(true);
      expect(server.hasCommand('/files/a')).toBe(false);
      expect(server.hasCommand('/nope')).toBe(false);
      expect(server.removeCommand('/echo')).toBe(true);
      expect(server.hasCommand('/echo')).toBe(false);
    });
  });

  describe('password', () => {
    it('refuses a password that is not a string, and removes it with undefined', async () => {
      const { server, port } = await start({ passwd: 'old' });
      expect(() => server.setPasswd(5 as unknown as string)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'the password must be a string' }),
      );
      await expect(client(port)).rejects.toMatchObject({ code: 'INVALID_PASSWD' });
      server.setPasswd('new');
      await expect(client(port, 'new')).resolves.toBeInstanceOf(VsoaClient);
      server.setPasswd(undefined);
      await expect(client(port)).resolves.toBeInstanceOf(VsoaClient);
    });
  });

  describe('listen', () => {
    it('refuses a second listen() with INVALID_ARGUMENT', async () => {
      const { server } = await start();
      await expect(server.listen({ port: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'server is already listening' });
    });

    it('listens on 0.0.0.0 by default, with a backlog of 1024 unless told', async () => {
      const server = new VsoaServer();
      teardowns.push(() => server.close());
      await server.listen({ port: 0 });
      const address = server.address()!;
      expect([address.address, address.family]).toEqual(['0.0.0.0', 'IPv4']);
      expect(listenBacklog(address.port)).toBe(1024);
      const small = new VsoaServer();
      teardowns.push(() => small.close());
      await small.listen({ host: '127.0.0.1', port: 0, backlog: 7 });
      expect(listenBacklog(small.address()!.port)).toBe(7);
    });

    it('rejects listen() on a port whose UDP twin is taken, leaving the TCP port free', async () => {
      const udp = createSocket('udp4');
      teardowns.push(() => udp.close());
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      const port = udp.address().port;
      const server = new VsoaServer();
      teardowns.push(() => server.close());
      await expect(server.listen({ host: '127.0.0.1', port })).rejects.toThrow(/EADDRINUSE/);
      expect(server.address()).toBeNull();
      const tcp = createNetServer();
      await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => tcp.close(resolve));
      // Nothing of the failed attempt is left: the server can listen again.
      await server.listen({ host: '127.0.0.1', port: 0 });
      expect(server.address()!.port).toBeGreaterThan(0);
    });
  });

  describe('publish', () => {
    it('counts only authed clients as subscribed, for exact and prefix subscriptions', async () => {
      const { server, port } = await start();
      const { c, cli } = await pair(server, port);
      await c.subscribe(['/t', '/p/']);
      cli.authed = false;
      expect(server.isSubscribed('/t')).toBe(false);
      expect(server.isSubscribed('/p/x')).toBe(false);
      cli.authed = true;
      expect(server.isSubscribed('/t')).toBe(true);
      expect(server.isSubscribed('/p/x')).toBe(true);
    });

    it('forgets an exact subscription that is unsubscribed while the client stays', async () => {
      const { server, port } = await start();
      const c = await client(port);
      await c.subscribe(['/x', '/y/']);
      await c.unsubscribe(['/x', '/y/']);
      expect(server.isSubscribed('/x')).toBe(false);
      expect(server.isSubscribed('/y/z')).toBe(false);
      expect(server.publish('/x')).toBe(0);
      expect(server.publish('/y/z')).toBe(0);
    });

    it('reaches both a client subscribed exactly and one subscribed by prefix, and counts the deliveries', async () => {
      const { server, port } = await start();
      const exact = await client(port);
      const prefix = await client(port);
      await exact.subscribe('/a/b');
      await prefix.subscribe('/a/');
      const got = Promise.all([nextEvent(exact, 'message'), nextEvent(prefix, 'message')]);
      expect(server.publish('/a/b', { param: 1 })).toBe(2);
      await got;
      expect(server.publish('/a/c')).toBe(1);
      expect(server.counters.publishes).toBe(2);
      expect(server.counters.publishDeliveries).toBe(3);
    });

    it('refuses an invalid URL with INVALID_ARGUMENT', async () => {
      const { server } = await start();
      expect(() => server.publish('x')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'invalid URL "x"' }));
    });

    it('publishes exactly 256 KiB, and refuses more, or a quick one over the UDP size, with TOO_LARGE', async () => {
      const { server, port } = await start();
      const c = await client(port);
      await c.subscribe('/p');
      // 20-byte header + '/p' + data, padded to a multiple of 4.
      const got = nextEvent<[string, { data?: Buffer }]>(c, 'message');
      expect(server.publish('/p', { data: Buffer.alloc(256 * 1024 - 22) })).toBe(1);
      expect((await got)[1].data?.length).toBe(256 * 1024 - 22);
      expect(() => server.publish('/p', { data: Buffer.alloc(256 * 1024 - 21) })).toThrow(
        expect.objectContaining({ code: 'TOO_LARGE', message: 'publish of 262148 bytes exceeds 262144' }),
      );
      expect(() => server.publish('/p', { data: Buffer.alloc(65483) }, { quick: true })).toThrow(
        expect.objectContaining({ code: 'TOO_LARGE', message: 'publish of 65508 bytes exceeds 65507' }),
      );
      expect(server.publish('/p', { data: Buffer.alloc(65482) }, { quick: true })).toBe(1);
    });
  });

  describe('quick sends on a TLS server', () => {
    async function tlsStart(options: VsoaServerOptions = {}): Promise<{ server: VsoaServer; c: VsoaClient; cli: RemoteClient }> {
      const pki = await makeTestPki();
      const server = new VsoaServer(options);
      await server.listen({ host: '127.0.0.1', port: 0, tls: { key: pki.server.key, cert: pki.server.cert } });
      teardowns.push(() => server.close());
      const joined = nextEvent<[RemoteClient, boolean]>(server, 'client');
      const c = new VsoaClient({ timeout: 2000 });
      teardowns.push(() => c.close());
      await c.connect(`vsoa://127.0.0.1:${server.address()!.port}`, { tls: { ca: pki.ca, servername: 'localhost' } });
      const [cli] = await joined;
      return { server, c, cli };
    }

    it('refuses quick publishes and datagrams with QUICK_OVER_TLS, subscribers or not', async () => {
      const { server, cli } = await tlsStart();
      const refusal = { code: 'QUICK_OVER_TLS', message: 'quick (UDP) sends are clear text; refused on a TLS server' };
      expect(() => server.publish('/q', { param: 1 }, { quick: true })).toThrow(expect.objectContaining(refusal));
      expect(() => cli.datagram('/q', { param: 1 }, { quick: true })).toThrow(expect.objectContaining(refusal));
      expect(server.publish('/q', { param: 1 })).toBe(0);
    });

    it('has no peer certificate for a client that presented none', async () => {
      const { cli } = await tlsStart();
      expect(cli.peerCertificate()).toBeNull();
    });

    it('sends them with allowQuickOverTls', async () => {
      const { server, cli } = await tlsStart({ allowQuickOverTls: true });
      expect(server.publish('/q', { param: 1 }, { quick: true })).toBe(0);
      expect(cli.datagram('/q', { param: 1 }, { quick: true })).toBe(true);
    });
  });

  describe('streams', () => {
    it('refuses createStream() before listen() with NOT_LISTENING', async () => {
      await expect(new VsoaServer().createStream()).rejects.toMatchObject({
        code: 'NOT_LISTENING',
        message: 'createStream: the server is not listening',
      });
    });

    it("emits 'timeout' after the timeout given when nobody takes the tunnel", async () => {
      const { server } = await start();
      const stream = await server.createStream({ timeout: 100 });
      teardowns.push(() => stream.destroy());
      const began = Date.now();
      await nextEvent(stream, 'timeout', () => true, 2000);
      expect(Date.now() - began).toBeGreaterThanOrEqual(90);
    });

    it("refuses, counts and logs a tunnel connection from another address than the client's", async () => {
      const { server, port, log } = await start();
      const { cli } = await pair(server, port);
      const stream = await server.createStream({ client: cli, timeout: 2000 });
      teardowns.push(() => stream.destroy());
      const intruder = netConnect({ host: '127.0.0.1', port: stream.tunid, localAddress: '127.0.0.2' });
      teardowns.push(() => intruder.destroy());
      intruder.on('error', () => undefined);
      expect(await log.warned('stream connection')).toBe('stream connection from 127.0.0.2 refused');
      expect(server.counters.streamsRefused).toBe(1);
    });
  });

  describe('graceful close', () => {
    it('closes at once when no call is in flight, whatever the drainTimeout', async () => {
      const { server, port, log } = await start();
      await client(port);
      const began = Date.now();
      await server.close({ drainTimeout: 5000 });
      expect(Date.now() - began).toBeLessThan(1000);
      expect(log.warnings).toEqual([]);
    });

    it('closes at once, without waiting or warning, when no drainTimeout is given, calls in flight or not', async () => {
      const { server, port, log } = await start();
      const started = new Promise<void>((resolve) => server.command('/never', () => resolve()));
      const c = await client(port);
      const call = c.fetch('/never').catch((error: unknown) => error);
      await started;
      await server.close();
      expect(await call).toMatchObject({ code: 'CLOSED' });
      expect(log.warnings).toEqual([]);
    });

    it('logs how many calls were still unanswered when drainTimeout ran out', async () => {
      const { server, port, log } = await start();
      const started = new Promise<void>((resolve) => server.command('/never', () => resolve()));
      const c = await client(port);
      const call = c.fetch('/never').catch((error: unknown) => error);
      await started;
      await server.close({ drainTimeout: 100 });
      await call;
      expect(log.warnings).toEqual(['closing with 1 call(s) still unanswered after 100 ms']);
    });

    it('waits for the calls of every client, not only the first to be answered', async () => {
      const { server, port } = await start();
      const held: Array<() => void> = [];
      const arrivals = new EventEmitter();
      server.command('/hold', (cli, req) => {
        held.push(() => cli.reply(req.seqno, { param: req.url }));
        arrivals.emit('held');
      });
      const first = await client(port);
      const second = await client(port);
      const both = new Promise<void>((resolve) => arrivals.on('held', () => held.length === 2 && resolve()));
      const calls = [first.fetch('/hold'), second.fetch('/hold')];
      await both;
      const closed = server.close({ drainTimeout: 2000 });
      held[0]();
      await calls[0];
      held[1]();
      await expect(calls[1]).resolves.toMatchObject({ status: 0, payload: { param: '/hold' } });
      await closed;
    });
  });
});
