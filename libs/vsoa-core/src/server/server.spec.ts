import { tcpTimers } from '../../../../test/helpers/tcp-timers';
import { createSocket } from 'node:dgram';
import { encodePacket, Flag, PacketType, VsoaStatus } from '../index';
import { VsoaClient } from '../client/client';
import { VsoaServer } from './server';
import type { RemoteClient } from './remote-client';
import { nextEvent, collectUntil } from '../../../../test/helpers/events';
import { RawPeer } from '../../../../test/helpers/raw-peer';

describe('VsoaServer with VsoaClient', () => {
  let server: VsoaServer;
  let port: number;
  const clients: VsoaClient[] = [];
  const peers: RawPeer[] = [];

  async function start(options: ConstructorParameters<typeof VsoaServer>[0] = {}): Promise<void> {
    server = new VsoaServer({ info: { name: 'test' }, ...options });
    server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
    server.command('/method', (cli, req) => cli.reply(req.seqno, { param: { method: req.method, url: req.url, pattern: req.pattern } }));
    server.command('/files/', (cli, req) => cli.reply(req.seqno, { param: { prefix: req.pattern, url: req.url } }));
    server.command('/files/deep/', (cli, req) => cli.reply(req.seqno, { param: { prefix: req.pattern, url: req.url } }));
    server.command('/status', (cli, req, payload) => cli.reply(req.seqno, { param: 'custom' }, { status: payload.param as number }));
    await server.listen({ host: '127.0.0.1', port: 0 });
    port = server.address()!.port;
  }

  async function client(passwd?: string): Promise<VsoaClient> {
    const c = new VsoaClient({ timeout: 3000 });
    clients.push(c);
    await c.connect(`vsoa://127.0.0.1:${port}`, { passwd });
    return c;
  }

  async function raw(): Promise<RawPeer> {
    const p = await RawPeer.open(port);
    peers.push(p);
    return p;
  }

  /**
   * Subscribes a raw peer to `url`, then stops reading from it. Resolves with `dropped`, a promise of the
   * server dropping it (wrapped, so that awaiting the setup does not await the drop): a paused socket never sees the close, so the server's side is watched.
   */
  async function stalledSubscriber(url: string, ms: number): Promise<{ dropped: Promise<unknown> }> {
    const stalled = await raw();
    await stalled.handshake();
    stalled.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 1, url }));
    await stalled.next((p) => p.seqno === 1);
    const dropped = nextEvent(server, 'client', (_cli, connected) => !connected, ms);
    stalled.socket.pause();
    return { dropped };
  }

  afterEach(async () => {
    for (const p of peers.splice(0)) p.destroy();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.close();
  });

  describe('listening', () => {
    it('binds TCP and UDP on the same port number, port 0 included', async () => {
      await start();
      expect(port).toBeGreaterThan(0);
      const udp = createSocket('udp4');
      await expect(
        new Promise((resolve, reject) => udp.once('error', reject).bind(port, '127.0.0.1', () => resolve(true))),
      ).rejects.toThrow(/EADDRINUSE/);
      udp.close();
    });

    it('rejects listen() when the port is taken, and closes idempotently', async () => {
      await start();
      const other = new VsoaServer();
      await expect(other.listen({ host: '127.0.0.1', port })).rejects.toThrow(/EADDRINUSE/);
      await other.close();
      await server.close();
      await server.close();
    });
  });

  describe('handshake', () => {
    it('connects without a password, resolving the server info and reporting the client', async () => {
      await start();
      const joined = nextEvent<[RemoteClient, boolean]>(server, 'client');
      const c = new VsoaClient();
      clients.push(c);
      await expect(c.connect(`vsoa://127.0.0.1:${port}`)).resolves.toEqual({ name: 'test' });
      const [cli, connected] = await joined;
      expect(connected).toBe(true);
      expect(cli.id).toBe(c.id);
      expect(server.clients().map((x) => x.id)).toEqual([c.id]);
      expect(cli.address().address).toBe('127.0.0.1');
      const left = nextEvent<[RemoteClient, boolean]>(server, 'client');
      await c.close();
      expect((await left)[1]).toBe(false);
      expect(server.clients()).toEqual([]);
    });

    it('accepts the right password and refuses a wrong one with INVALID_PASSWD, closing it', async () => {
      await start({ passwd: 'secret' });
      await expect(client('secret')).resolves.toBeInstanceOf(VsoaClient);
      await expect(client('wrong')).rejects.toMatchObject({ code: 'INVALID_PASSWD' });
      await expect(client()).rejects.toMatchObject({ code: 'INVALID_PASSWD' });
      const peer = await raw();
      const reply = await peer.handshake('nope');
      expect(reply.status).toBe(VsoaStatus.PASSWORD);
      expect(reply.flags & Flag.REPLY).toBeTruthy();
      await peer.whenClosed(2000);
      expect(server.counters.passwordRefused).toBe(3);
    });

    it("changes its password at run time (the seed's server.passwd): new handshakes use it, linked clients stay", async () => {
      await start({ passwd: 'old' });
      const linked = await client('old');
      server.setPasswd('new');
      await expect(client('old')).rejects.toMatchObject({ code: 'INVALID_PASSWD' });
      await expect(client('new')).resolves.toBeInstanceOf(VsoaClient);
      expect(linked.connected).toBe(true);
      expect((await linked.fetch('/echo', { payload: { param: 1 } })).payload.param).toBe(1);
      server.setPasswd('');
      await expect(client()).resolves.toBeInstanceOf(VsoaClient);
    });

    it('answers a first packet that is not a handshake with PASSWORD and closes', async () => {
      await start();
      const peer = await raw();
      peer.send(encodePacket({ type: PacketType.RPC, seqno: 7, url: '/echo' }));
      const reply = await peer.next(() => true);
      expect(reply).toMatchObject({ type: PacketType.RPC, seqno: 7, status: VsoaStatus.PASSWORD });
      await peer.whenClosed(2000);
    });

    it('closes a connection that does not handshake within 5 s by default', async () => {
      await start();
      const peer = await raw();
      const started = Date.now();
      await peer.whenClosed(7000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
      expect(server.counters.handshakeTimeouts).toBe(1);
    }, 10000);

    it('gives every client a distinct id', async () => {
      await start();
      const ids = new Set<number>();
      for (let i = 0; i < 20; i++) ids.add((await client()).id);
      expect(ids.size).toBe(20);
    });
  });

  describe('RPC', () => {
    it('routes exact, prefix (longest wins) and default URLs, and reports GET or SET', async () => {
      await start();
      const c = await client();
      expect((await c.fetch('/method', { method: 'SET' })).payload.param).toEqual({ method: 'SET', url: '/method', pattern: '/method' });
      expect((await c.fetch('/method')).payload.param).toMatchObject({ method: 'GET' });
      expect((await c.fetch('/files')).payload.param).toEqual({ prefix: '/files/', url: '/files' });
      expect((await c.fetch('/files/a/b')).payload.param).toEqual({ prefix: '/files/', url: '/files/a/b' });
      expect((await c.fetch('/files/deep/x')).payload.param).toEqual({ prefix: '/files/deep/', url: '/files/deep/x' });
      expect((await c.fetch('/filesX')).status).toBe(VsoaStatus.INVALID_URL);
      server.command('/', (cli, req) => cli.reply(req.seqno, { param: 'default' }));
      expect((await c.fetch('/filesX')).payload.param).toBe('default');
    });

    it('echoes param and binary data', async () => {
      await start();
      const c = await client();
      const data = Buffer.from([0, 1, 2, 255]);
      const r = await c.fetch('/echo', { method: 'SET', payload: { param: { a: [1, 'b'] }, data } });
      expect(r.status).toBe(0);
      expect(r.payload.param).toEqual({ a: [1, 'b'] });
      expect(r.payload.data).toEqual(data);
    });

    it.each([0, 2, 6, 128, 130, 255])('carries status %i to the caller with its payload', async (status) => {
      await start();
      const c = await client();
      const r = await c.fetch('/status', { payload: { param: status } });
      expect(r.status).toBe(status);
      expect(r.payload.param).toBe('custom');
    });

    it('answers an unknown URL with INVALID_URL', async () => {
      await start();
      const c = await client();
      expect(await c.fetch('/nope')).toMatchObject({ status: VsoaStatus.INVALID_URL, payload: {} });
    });

    it('answers a param that is not JSON with ARGUMENTS and keeps the connection', async () => {
      await start();
      const peer = await raw();
      await peer.handshake();
      peer.send(encodePacket({ type: PacketType.RPC, seqno: 1, url: '/echo', param: Buffer.from('{nope') }));
      expect((await peer.next((p) => p.seqno === 1)).status).toBe(VsoaStatus.ARGUMENTS);
      peer.send(encodePacket({ type: PacketType.RPC, seqno: 2, url: '/echo', param: Buffer.from('"fine"') }));
      const ok = await peer.next((p) => p.seqno === 2);
      expect(ok.status).toBe(0);
      expect(ok.param.toString()).toBe('"fine"');
      expect(server.counters.badParams).toBe(1);
    });

    it('answers a URL that does not start with / with ARGUMENTS', async () => {
      await start();
      const peer = await raw();
      await peer.handshake();
      peer.send(encodePacket({ type: PacketType.RPC, seqno: 3, url: 'echo' }));
      expect((await peer.next((p) => p.seqno === 3)).status).toBe(VsoaStatus.ARGUMENTS);
    });

    it('keeps many calls in flight, answered out of order', async () => {
      await start();
      server.command('/later', (cli, req, payload) => {
        const n = payload.param as number;
        setTimeout(() => cli.reply(req.seqno, { param: n * 2 }), (n * 7) % 30);
      });
      const c = await client();
      const results = await Promise.all(Array.from({ length: 500 }, (_, n) => c.fetch('/later', { payload: { param: n } })));
      expect(results.map((r) => r.payload.param)).toEqual(Array.from({ length: 500 }, (_, n) => n * 2));
      expect(c.pending).toBe(0);
    });

    it('answers a handler that throws, or rejects, instead of dropping the call', async () => {
      await start();
      server.command('/throws', () => {
        throw new Error('bug');
      });
      server.command('/rejects', async () => {
        throw Object.assign(new Error('teapot'), { status: 130 });
      });
      const c = await client();
      expect((await c.fetch('/throws')).status).toBe(VsoaStatus.NO_RESPONDING);
      expect(await c.fetch('/rejects')).toMatchObject({ status: 130, payload: { param: { error: 'teapot' } } });
    });

    it('refuses replies over the 256 KiB cap with a TOO_LARGE error', async () => {
      await start();
      let thrown: unknown;
      server.command('/huge', (cli, req) => {
        try {
          cli.reply(req.seqno, { data: Buffer.alloc(300 * 1024) });
        } catch (error) {
          thrown = error;
          cli.reply(req.seqno, undefined, { status: VsoaStatus.NO_MEMORY });
        }
      });
      const c = await client();
      expect((await c.fetch('/huge')).status).toBe(VsoaStatus.NO_MEMORY);
      expect(thrown).toMatchObject({ code: 'TOO_LARGE' });
    });
  });

  describe('subscribe and publish', () => {
    it('delivers publishes by the matching rules to subscribed, authed clients only', async () => {
      await start();
      const c = await client();
      await c.subscribe(['/a/', '/b']);
      expect(server.isSubscribed('/a/x')).toBe(true);
      expect(server.isSubscribed('/ab')).toBe(false);
      const got = collectUntil<[string]>(c, 'message', (url) => url === '/b');
      for (const url of ['/a', '/ab', '/a/b/c', '/c', '/b']) server.publish(url, { param: { url } });
      expect((await got).map(([url]) => url)).toEqual(['/a', '/a/b/c', '/b']);
    });

    it('sends quick publishes over UDP', async () => {
      await start();
      const c = await client();
      await c.subscribe('/q/');
      const [url, payload, quick] = await Promise.all([
        nextEvent<[string, { param: unknown; data: Buffer }, boolean]>(c, 'message'),
        server.publish('/q/1', { param: { n: 1 }, data: Buffer.from('hi') }, { quick: true }),
      ]).then(([args]) => args);
      expect(url).toBe('/q/1');
      expect(payload.param).toEqual({ n: 1 });
      expect(payload.data.toString()).toBe('hi');
      expect(quick).toBe(true);
    });

    it('holds publishes back from a client that is not authed', async () => {
      await start();
      server.on('client', (cli, connected) => {
        if (connected && server.clients().length === 1) cli.authed = false;
      });
      const held = await client();
      const open = await client();
      await Promise.all([held.subscribe('/t'), open.subscribe('/t')]);
      let heldGot = 0;
      held.on('message', () => heldGot++);
      const got = nextEvent(open, 'message');
      server.publish('/t', { param: 1 });
      await got;
      await held.ping(); // anything published before the ping's reply has arrived
      expect(heldGot).toBe(0);
      expect(server.publish('/t')).toBe(1);
    });

    it('unsubscribes one URL, or all of them with an empty unsubscribe', async () => {
      await start();
      const c = await client();
      await c.subscribe(['/x', '/y/']);
      const [cli] = server.clients();
      await c.unsubscribe('/x');
      expect(cli.subscribed()).toEqual(['/y/']);
      const peer = await raw();
      await peer.handshake();
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 1, param: Buffer.from('["/m","/n/"]') }));
      expect((await peer.next((p) => p.seqno === 1)).status).toBe(0);
      const rawCli = server.clients().find((x) => x.id !== cli.id)!;
      expect(rawCli.subscribed().sort()).toEqual(['/m', '/n/']);
      peer.send(encodePacket({ type: PacketType.UNSUBSCRIBE, seqno: 2 }));
      expect((await peer.next((p) => p.seqno === 2)).status).toBe(0);
      expect(rawCli.subscribed()).toEqual([]);
    });

    it('answers a list subscribe with a bad element ARGUMENTS and applies none', async () => {
      await start();
      const peer = await raw();
      await peer.handshake();
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno: 1, param: Buffer.from('["/ok", 5]') }));
      expect((await peer.next((p) => p.seqno === 1)).status).toBe(VsoaStatus.ARGUMENTS);
      expect(server.clients()[0].subscribed()).toEqual([]);
    });

    it("emits 'subscribe' on the remote client", async () => {
      await start();
      const joined = nextEvent<[RemoteClient]>(server, 'client');
      const c = await client();
      const [cli] = await joined;
      const subscribed = nextEvent<[string[]]>(cli, 'subscribe');
      await c.subscribe('/s');
      expect((await subscribed)[0]).toEqual(['/s']);
    });
  });

  describe('datagrams', () => {
    it('receives reliable and quick datagrams from a client', async () => {
      await start();
      const c = await client();
      const reliable = nextEvent<[RemoteClient, string, { param: unknown }, boolean]>(server, 'datagram');
      c.datagram('/dg', { param: { r: 1 } });
      const [cli, url, payload, quick] = await reliable;
      expect([cli.id, url, payload.param, quick]).toEqual([c.id, '/dg', { r: 1 }, false]);
      const fast = nextEvent<[RemoteClient, string, { param: unknown }, boolean]>(server, 'datagram');
      c.datagram('/dgq', { param: { q: 2 } }, { quick: true });
      const [cli2, url2, payload2, quick2] = await fast;
      expect([cli2.id, url2, payload2.param, quick2]).toEqual([c.id, '/dgq', { q: 2 }, true]);
    });

    it('sends reliable and quick datagrams to a client', async () => {
      await start();
      const c = await client();
      const [cli] = server.clients();
      const got = collectUntil<[string, { param: unknown }, boolean]>(c, 'datagram', (url) => url === '/q');
      cli.datagram('/r', { param: 1 });
      cli.datagram('/q', { param: 2 }, { quick: true });
      const seen = (await got).map(([url, payload, quick]) => [url, payload.param, quick]);
      expect(seen).toContainEqual(['/q', 2, true]);
      expect(seen[0]).toEqual(['/r', 1, false]);
    });

    it('drops a datagram whose param is not JSON, alone', async () => {
      await start();
      const peer = await raw();
      await peer.handshake();
      let count = 0;
      server.on('datagram', () => count++);
      peer.send(encodePacket({ type: PacketType.DATAGRAM, url: '/d', param: Buffer.from('{bad') }));
      peer.send(encodePacket({ type: PacketType.PINGECHO, seqno: 4 }));
      await peer.next((p) => p.seqno === 4);
      expect(count).toBe(0);
      expect(server.counters.badParams).toBe(1);
    });

    it('drops a quick datagram carrying a client id from another address', async () => {
      const warnings: string[] = [];
      let noticed!: () => void;
      const refused = new Promise<void>((resolve) => (noticed = resolve));
      const logger = {
        debug: () => undefined,
        warn: (message: string) => {
          warnings.push(message);
          if (message.includes('dropped')) noticed();
        },
      };
      await start({ logger });
      const c = await client();
      const spoof = createSocket('udp4');
      await new Promise<void>((resolve) => spoof.bind(0, '127.0.0.2', resolve));
      const delivered: string[] = [];
      server.on('datagram', (_cli, url) => delivered.push(url));
      const packet = encodePacket({ type: PacketType.DATAGRAM, seqno: c.id, url: '/spoof', param: Buffer.from('1') });
      spoof.send(packet, port, '127.0.0.1');
      await refused;
      spoof.close();
      const genuine = nextEvent(server, 'datagram');
      c.datagram('/genuine', undefined, { quick: true });
      await genuine;
      expect(delivered).toEqual(['/genuine']);
      expect(server.counters.spoofedDatagrams).toBe(1);
      expect(warnings).toEqual([`quick datagram for client ${c.id} from 127.0.0.2 dropped`]);
    });
  });

  describe('controls', () => {
    it('answers PINGECHO with a reply of the same seqno, and a client measures the round trip', async () => {
      await start();
      const peer = await raw();
      await peer.handshake();
      peer.send(encodePacket({ type: PacketType.PINGECHO, seqno: 4242 }));
      const echo = await peer.next((p) => p.type === PacketType.PINGECHO);
      expect(echo.seqno).toBe(4242);
      expect(echo.flags & Flag.REPLY).toBe(Flag.REPLY);
      const c = await client();
      const before = process.hrtime.bigint();
      const rtt = await c.ping(1000);
      const elapsed = Number(process.hrtime.bigint() - before) / 1e6;
      expect(rtt).toBeGreaterThan(0);
      expect(rtt).toBeLessThanOrEqual(elapsed);
    });

    it('sends QOSSETUP when a priority is set, and refuses one outside 0-7', async () => {
      await start();
      const c = await client();
      const [cli] = server.clients();
      const got = nextEvent<[number]>(c, 'priority');
      cli.priority = 5;
      expect((await got)[0]).toBe(5);
      expect(c.priority).toBe(5);
      expect(() => (cli.priority = 8)).toThrow(/0-7/);
    });

    it('drops a client that stops reading without stalling the others', async () => {
      await start({ maxQueuedBytes: 512 * 1024, sendTimeout: 60_000 });
      const good = await client();
      await good.subscribe('/flood');
      const { dropped } = await stalledSubscriber('/flood', 10000);
      const data = Buffer.alloc(60 * 1024);
      const total = 200;
      let received = 0;
      const all = nextEvent(good, 'message', () => ++received === total, 15000);
      for (let i = 0; i < total; i++) {
        server.publish('/flood', { param: i, data });
        if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all([all, dropped]);
      expect(server.counters.slowClientsDropped).toBe(1);
      expect(server.clients().map((x) => x.id)).toEqual([good.id]);
    });

    it('drops a client whose queue stays undrained past the send timeout', async () => {
      await start({ maxQueuedBytes: 64 * 1024 * 1024, sendTimeout: 300 });
      const { dropped } = await stalledSubscriber('/flood', 3000);
      for (let i = 0; i < 100; i++) server.publish('/flood', { data: Buffer.alloc(60 * 1024) });
      await dropped;
      expect(server.counters.slowClientsDropped).toBe(1);
    });

    it('turns TCP keepalive on for one client with setKeepAlive', async () => {
      await start();
      await client();
      const timers = (): string => tcpTimers(`( sport = :${port} )`);
      expect(timers()).not.toContain('keepalive');
      server.clients()[0].setKeepAlive(30_000);
      expect(timers()).toContain('timer:(keepalive');
      server.clients()[0].setKeepAlive(false);
      expect(timers()).not.toContain('keepalive');
    });

    it('applies a per-client send timeout set with setSendTimeout', async () => {
      // The server default would wait a minute; this one client gets 300 ms.
      await start({ maxQueuedBytes: 64 * 1024 * 1024, sendTimeout: 60_000 });
      const { dropped } = await stalledSubscriber('/flood', 3000);
      for (const cli of server.clients()) cli.setSendTimeout(300);
      for (let i = 0; i < 100; i++) server.publish('/flood', { data: Buffer.alloc(60 * 1024) });
      await dropped;
      expect(server.counters.slowClientsDropped).toBe(1);
    });

    it('with drainTimeout, answers the calls in flight, refuses new ones and new connections, then closes', async () => {
      await start();
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const started = new Promise<void>((resolve) => {
        server.command('/slow', async (cli, req) => {
          resolve();
          await released;
          cli.reply(req.seqno, { param: 'done' });
        });
      });
      const c = await client();
      const slow = c.fetch('/slow');
      await started;
      const closed = server.close({ drainTimeout: 5000 });
      // While draining: a new call is refused, a new connection too.
      expect((await c.fetch('/echo')).status).toBe(VsoaStatus.NO_RESPONDING);
      await expect(new VsoaClient().connect(`vsoa://127.0.0.1:${port}`, { timeout: 1000 })).rejects.toMatchObject({
        code: 'CONNECT_ERROR',
      });
      release();
      expect((await slow).payload.param).toBe('done');
      await closed;
      expect(c.connected).toBe(false);
    });

    it('bounds a graceful close: a call that never ends does not hold it past drainTimeout', async () => {
      await start();
      const started = new Promise<void>((resolve) => server.command('/never', () => resolve()));
      const c = await client();
      const call = expect(c.fetch('/never')).rejects.toMatchObject({ code: 'CLOSED' });
      await started;
      const began = Date.now();
      await server.close({ drainTimeout: 200 });
      expect(Date.now() - began).toBeGreaterThanOrEqual(150);
      await call;
    });

    it('answers ARGUMENTS to a param nested too deep, quickly, and keeps the connection', async () => {
      await start();
      const c = await client();
      const began = Date.now();
      const reply = await c.fetch('/echo', { payload: { param: Buffer.from('['.repeat(200_000)) } });
      expect(reply.status).toBe(VsoaStatus.ARGUMENTS);
      expect(Date.now() - began).toBeLessThan(1000);
      expect(server.counters.badParams).toBe(1);
      expect((await c.fetch('/echo', { payload: { param: [[1]] } })).payload.param).toEqual([[1]]);
    });

    it('closes gracefully: clients see the disconnect and pending calls fail', async () => {
      await start();
      let arrived!: () => void;
      const handling = new Promise<void>((resolve) => (arrived = resolve));
      server.command('/never', () => arrived());
      const c = await client();
      const call = c.fetch('/never');
      const gone = nextEvent(c, 'disconnect');
      await handling;
      await server.close();
      await gone;
      await expect(call).rejects.toMatchObject({ code: 'CLOSED' });
      expect(server.address()).toBeNull();
    });
  });
});
