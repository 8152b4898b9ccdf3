/**
 * Interop with the official `vsoa` npm package (v1.5.1, JS over a native core), over real sockets
 * on 127.0.0.1 with port 0, in both directions:
 *   A) official vsoa.Server  <->  our VsoaClient
 *   B) our VsoaServer        <->  official vsoa.Client
 *
 * Nothing here sleeps to synchronise: every check waits for the event it expects (with a
 * timeout), and "X is not delivered" is shown by sending X before a marker on an ordered (TCP)
 * channel and looking at what arrived before the marker.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import type { Socket as NetSocket } from 'node:net';
import * as vsoa from 'vsoa';
import { MAX_QUICK_PAYLOAD_LENGTH, VsoaClient, VsoaConnectError, VsoaServer } from '@vsoa/core';
import type { RemoteClient, VsoaPayload, VsoaRequest } from '@vsoa/core';
import { closeOfficial, startOfficial } from '../helpers/official-server';
import { teardownsAfterEach } from '../helpers/teardowns';

/** How long any single expected event may take before the test fails. */
const WAIT_MS = 3000;
const HOST = '127.0.0.1';
/** Binary data with a zero byte, 0xff and a length that needs padding on the wire. */
const DATA = Buffer.from([0x00, 0x01, 0x29, 0xfe, 0xff]);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Everything a test opens registers its teardown here; afterEach runs them newest first. */
const teardowns = teardownsAfterEach();

/** Short text for a failure message (items may hold sockets, so no JSON.stringify). */
function describeItem(item: unknown): string {
  if (item !== null && typeof item === 'object' && 'url' in item) {
    const { url, quick } = item as { url: string; quick?: boolean };
    return quick ? `${url} (quick)` : url;
  }
  return typeof item === 'object' ? 'client' : String(item);
}

/** Collects what arrives and lets a test wait for a given item. */
class Mailbox<T> {
  readonly items: T[] = [];
  private waiters: Array<() => void> = [];

  readonly push = (item: T): void => {
    this.items.push(item);
    for (const wake of this.waiters.splice(0)) wake();
  };

  /** Everything received up to and including the first item that passes `match`. */
  until(match: (item: T) => boolean, what: string, ms = WAIT_MS): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.items.findIndex(match);
        if (index < 0) return false;
        clearTimeout(timer);
        resolve(this.items.slice(0, index + 1));
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wait);
        reject(new Error(`${what}: nothing matching within ${ms} ms; received [${this.items.map(describeItem).join(', ')}]`));
      }, ms);
      const wait = (): void => {
        if (!check()) this.waiters.push(wait);
      };
      wait();
    });
  }

  /** The first item that passes `match` (already received or still to come). */
  async next(match: (item: T) => boolean, what: string, ms = WAIT_MS): Promise<T> {
    const items = await this.until(match, what, ms);
    return items[items.length - 1];
  }
}

interface Delivery {
  url: string;
  payload: VsoaPayload | vsoa.VsoaPayload | undefined;
  quick: boolean;
  /** The sending client, on the official server's side. */
  from?: vsoa.RemoteClient;
}

// --- official server ---

interface OfficialServer {
  server: vsoa.Server;
  /** TCP port. */
  port: number;
  /** Port of its quick (UDP) socket: NOT the TCP port when started on port 0. */
  quickPort: number;
  /** Remote clients, as `onclient(cli, true)` reports them. */
  clients: Mailbox<vsoa.RemoteClient>;
  /** Datagrams, as `ondata` reports them. */
  datagrams: Mailbox<Delivery>;
}

/**
 * Publishes on '/a', '/a/b/c', '/ab' and the marker '/b' to a client subscribed to ['/a/', '/b'],
 * and checks that all but '/ab' arrive over TCP, in order, with param and data intact.
 */
async function expectPrefixDelivery(
  publish: (url: string, payload: { param: { url: string }; data: Buffer }) => void,
  messages: Mailbox<Delivery>,
): Promise<void> {
  for (const url of ['/a', '/a/b/c', '/ab', '/b']) publish(url, { param: { url }, data: DATA });
  const received = await messages.until((m) => m.url === '/b', "publish on '/b' (marker)");

  expect(received.map((m) => m.url)).toEqual(['/a', '/a/b/c', '/b']);
  for (const m of received) {
    expect(m.quick).toBe(false);
    expect(m.payload?.param).toEqual({ url: m.url });
    expect(m.payload?.data).toEqual(DATA);
  }
}

async function startOfficialServer(passwd?: string): Promise<OfficialServer> {
  const server = new vsoa.Server(passwd === undefined ? { info: { name: 'official' } } : { info: { name: 'official' }, passwd });
  const clients = new Mailbox<vsoa.RemoteClient>();
  const datagrams = new Mailbox<Delivery>();
  server.onclient = (cli: vsoa.RemoteClient, connected: boolean) => {
    if (connected) clients.push(cli);
  };
  server.ondata = (from: vsoa.RemoteClient, url: string, payload: vsoa.VsoaPayload, quick: boolean) =>
    datagrams.push({ url, payload, quick, from });
  teardowns.push(() => closeOfficial(server));
  await startOfficial(server);
  // start() binds its UDP socket on its own, and only learns the UDP port (which it appends to the
  // client id in the handshake reply) once that bind completes: make sure it has.
  const udp = (server as unknown as { _quick: UdpSocket })._quick;
  const udpPort = (): number | undefined => {
    try {
      return udp.address().port;
    } catch {
      return undefined; // not bound yet
    }
  };
  if (udpPort() === undefined) await new Promise((resolve) => udp.once('listening', resolve));
  return { server, port: server.address()!.port, quickPort: udpPort()!, clients, datagrams };
}

// --- our client ---

interface OurClient {
  client: VsoaClient;
  info: unknown;
  messages: Mailbox<Delivery>;
  datagrams: Mailbox<Delivery>;
}

function newOurClient(): { client: VsoaClient; messages: Mailbox<Delivery>; datagrams: Mailbox<Delivery> } {
  const client = new VsoaClient({ timeout: WAIT_MS });
  teardowns.push(() => client.close());
  const messages = new Mailbox<Delivery>();
  const datagrams = new Mailbox<Delivery>();
  client.on('message', (url, payload, quick) => messages.push({ url, payload, quick }));
  client.on('datagram', (url, payload, quick) => datagrams.push({ url, payload, quick }));
  return { client, messages, datagrams };
}

async function connectOurClient(port: number, passwd?: string): Promise<OurClient> {
  const parts = newOurClient();
  const info = await parts.client.connect(`vsoa://${HOST}:${port}`, { passwd, timeout: WAIT_MS });
  return { ...parts, info };
}

// --- our server ---

interface OurServer {
  server: VsoaServer;
  port: number;
  /** Clients whose handshake succeeded, as the `'client'` event reports them. */
  clients: Mailbox<RemoteClient>;
  datagrams: Mailbox<Delivery>;
}

async function startOurServer(passwd?: string): Promise<OurServer> {
  const server = new VsoaServer({ info: { name: 'ours' }, passwd });
  teardowns.push(() => server.close());
  const clients = new Mailbox<RemoteClient>();
  const datagrams = new Mailbox<Delivery>();
  server.on('client', (cli, connected) => {
    if (connected) clients.push(cli);
  });
  server.on('datagram', (_cli, url, payload, quick) => datagrams.push({ url, payload, quick }));
  await server.listen({ host: HOST, port: 0 });
  return { server, port: server.address()!.port, clients, datagrams };
}

// --- official client ---

type OfficialError = Error & { status?: number };

interface OfficialClient {
  client: vsoa.Client;
  /** What its connect callback reported. */
  error?: OfficialError;
  info?: unknown;
  messages: Mailbox<Delivery>;
  datagrams: Mailbox<Delivery>;
}

function connectOfficialClient(port: number, passwd?: string): Promise<OfficialClient> {
  const client = new vsoa.Client(passwd === undefined ? {} : { passwd });
  teardowns.push(() => client.close());
  // Besides calling back, the official client emits 'error' on a failed connect, which would
  // throw without a listener.
  client.on('error', () => undefined);
  const messages = new Mailbox<Delivery>();
  const datagrams = new Mailbox<Delivery>();
  client.on('message', (url, payload, quick) => messages.push({ url, payload, quick }));
  client.on('datagram', (url, payload, quick) => datagrams.push({ url, payload, quick }));
  return new Promise((resolve) =>
    client.connect(`vsoa://${HOST}:${port}`, (error, info) => resolve({ client, error, info, messages, datagrams }), undefined, WAIT_MS),
  );
}

/** An official RPC call; its callback gets an error carrying `status` for any non-zero status. */
function officialCall(
  client: vsoa.Client,
  url: string,
  method: 'GET' | 'SET',
  payload?: vsoa.VsoaPayload,
): Promise<{ error?: OfficialError; payload?: vsoa.VsoaPayload }> {
  return new Promise((resolve) => client.call(url, { method }, payload, (error, reply) => resolve({ error, payload: reply }), WAIT_MS));
}

function officialSubscribe(client: vsoa.Client, urls: string | string[]): Promise<void> {
  return new Promise((resolve, reject) => client.subscribe(urls, (error) => (error ? reject(error) : resolve()), WAIT_MS));
}

function officialPing(client: vsoa.Client): Promise<void> {
  return new Promise((resolve, reject) => client.ping((error) => (error ? reject(error) : resolve()), WAIT_MS));
}

// ---------------------------------------------------------------------------------------------
// A) official vsoa.Server  <->  our VsoaClient
// ---------------------------------------------------------------------------------------------

describe('A) official vsoa.Server with our VsoaClient', () => {
  describe('handshake', () => {
    it('connects without a password and resolves with the server info', async () => {
      const { port, clients } = await startOfficialServer();
      const { client, info } = await connectOurClient(port);
      expect(info).toEqual({ name: 'official' });
      expect(client.connected).toBe(true);
      await clients.next(() => true, 'official onclient(cli, true)');
    });

    it('connects with the right password', async () => {
      const { port } = await startOfficialServer('secret');
      const { client, info } = await connectOurClient(port, 'secret');
      expect(info).toEqual({ name: 'official' });
      expect(client.connected).toBe(true);
    });

    it('rejects a wrong password with VsoaConnectError INVALID_PASSWD', async () => {
      const { port } = await startOfficialServer('secret');
      const { client } = newOurClient();
      const attempt = client.connect(`vsoa://${HOST}:${port}`, { passwd: 'wrong', timeout: WAIT_MS });
      await expect(attempt).rejects.toBeInstanceOf(VsoaConnectError);
      await expect(attempt).rejects.toMatchObject({ code: 'INVALID_PASSWD', errno: 6 });
      expect(client.connected).toBe(false);
    });

    it('rejects a missing password with INVALID_PASSWD', async () => {
      const { port } = await startOfficialServer('secret');
      const { client } = newOurClient();
      await expect(client.connect(`vsoa://${HOST}:${port}`, { timeout: WAIT_MS })).rejects.toMatchObject({
        code: 'INVALID_PASSWD',
      });
    });
  });

  describe('RPC', () => {
    it.each([
      ['GET', vsoa.method.GET],
      ['SET', vsoa.method.SET],
    ] as const)('%s echoes param and binary data; the server handler sees the method', async (method, officialMethod) => {
      const { server, port } = await startOfficialServer();
      const seen: Array<{ url: string; method: number; payload: vsoa.VsoaPayload }> = [];
      server.on('/rec', (cli, req, payload) => {
        seen.push({ url: req.url, method: req.method, payload });
        cli.reply(vsoa.code.SUCCESS, req.seqno, payload);
      });
      const { client } = await connectOurClient(port);
      const param = { a: 1, s: 'x', list: [1, 2] };

      const reply = await client.fetch('/rec', { method, payload: { param, data: DATA } });

      expect(reply.status).toBe(0);
      expect(reply.payload.param).toEqual(param);
      expect(reply.payload.data).toEqual(DATA);
      expect(seen).toHaveLength(1);
      expect(seen[0].url).toBe('/rec');
      expect(seen[0].method).toBe(officialMethod);
      // the official server hands its handlers the param already parsed
      expect(seen[0].payload.param).toEqual(param);
      expect(seen[0].payload.data).toEqual(DATA);
    });

    it('resolves a custom status 130 with the param the handler sent', async () => {
      const { server, port } = await startOfficialServer();
      server.on('/busy', (cli, req) => cli.reply(130, req.seqno, { param: { reason: 'busy' } }));
      const { client } = await connectOurClient(port);

      const reply = await client.fetch('/busy');

      expect(reply.status).toBe(130);
      expect(reply.payload.param).toEqual({ reason: 'busy' });
    });

    it('resolves an unknown URL with status 3 (INVALID_URL)', async () => {
      const { port } = await startOfficialServer();
      const { client } = await connectOurClient(port);

      const reply = await client.fetch('/no/such/command', { method: 'SET', payload: { param: { x: 1 } } });

      expect(reply.status).toBe(vsoa.code.INVALID_URL);
      expect(reply.payload.param).toBeUndefined();
      expect(reply.payload.data).toBeUndefined();
    });
  });

  describe('subscribe and publish', () => {
    it("subscribing to ['/a/', '/b'] receives /a, /a/b/c and /b but not /ab", async () => {
      const { server, port } = await startOfficialServer();
      const { client, messages } = await connectOurClient(port);
      await client.subscribe(['/a/', '/b']);

      // TCP keeps order: everything published before the marker '/b' has arrived when it does.
      await expectPrefixDelivery((url, payload) => server.publish(url, payload), messages);
    });

    it("receives a quick (UDP) publish sent from the official server's separate quick port", async () => {
      const { server, port, quickPort } = await startOfficialServer();
      // The point of this test: the official server's UDP port is not its TCP port, and it tells
      // the client so by appending that port to the client id in the handshake reply.
      expect(quickPort).not.toBe(port);
      const { client, messages } = await connectOurClient(port);
      await client.subscribe(['/a/', '/b']);

      server.publish('/a/quick', { param: { n: 1 }, data: DATA }, true);
      const m = await messages.next((x) => x.url === '/a/quick', "quick publish on '/a/quick'");

      expect(m.quick).toBe(true);
      expect(m.payload?.param).toEqual({ n: 1 });
      expect(m.payload?.data).toEqual(DATA);
    });
  });

  describe('datagrams', () => {
    it('client -> server, reliable (TCP)', async () => {
      const { port, datagrams } = await startOfficialServer();
      const { client } = await connectOurClient(port);

      expect(client.datagram('/dg/tcp', { param: { d: 1 }, data: DATA })).toBe(true);
      const d = await datagrams.next((x) => x.url === '/dg/tcp', 'official ondata /dg/tcp');

      expect(d.quick).toBe(false);
      expect(d.payload?.param).toEqual({ d: 1 });
      expect(d.payload?.data).toEqual(DATA);
    });

    it('the largest quick datagram and publish (65484 bytes of url, param and data) go both ways; one byte more, both refuse', async () => {
      const { server, port, clients, datagrams } = await startOfficialServer();
      const { client, messages } = await connectOurClient(port);
      await clients.next(() => true, 'official onclient');
      const url = '/big';
      const data = Buffer.alloc(MAX_QUICK_PAYLOAD_LENGTH - url.length, 9);
      const tooBig = Buffer.alloc(data.length + 1, 9);

      expect(client.datagram(url, { data }, { quick: true })).toBe(true);
      expect((await datagrams.next((x) => x.url === url, 'the largest quick datagram')).payload?.data).toEqual(data);
      expect(() => client.datagram(url, { data: tooBig }, { quick: true })).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));

      await client.subscribe(url);
      server.publish(url, { data }, true);
      expect((await messages.next((x) => x.url === url, 'the largest quick publish')).payload?.data).toEqual(data);
      expect(() => server.publish(url, { data: tooBig }, true)).toThrow(/cannot exceed 65507 bytes/);
    });

    it("client -> server, quick (UDP to the official server's quick port, attributed by client id)", async () => {
      const { port, quickPort, clients, datagrams } = await startOfficialServer();
      expect(quickPort).not.toBe(port);
      // The official server numbers clients 0, 1, ... and finds a quick datagram's sender by the
      // id in its seqno: send from the second client so that a seqno of 0 would be misattributed.
      await connectOurClient(port);
      const first = await clients.next(() => true, 'official onclient for the first client');
      const { client } = await connectOurClient(port);
      const second = await clients.next((c) => c !== first, 'official onclient for the second client');

      expect(client.datagram('/dg/udp', { param: { d: 2 }, data: DATA }, { quick: true })).toBe(true);
      const d = await datagrams.next((x) => x.url === '/dg/udp', 'official ondata /dg/udp');

      const sender = d.from === second ? 'second client' : d.from === first ? 'first client' : 'unknown';
      expect(sender).toBe('second client');
      expect(d.quick).toBe(true);
      expect(d.payload?.param).toEqual({ d: 2 });
      expect(d.payload?.data).toEqual(DATA);
    });

    it.each([
      ['reliable (TCP)', false],
      ['quick (UDP)', true],
    ])('server -> client, %s', async (_label, quick) => {
      const { port, quickPort, clients } = await startOfficialServer();
      expect(quickPort).not.toBe(port);
      const { datagrams } = await connectOurClient(port);
      const remote = await clients.next(() => true, 'official onclient(cli, true)');

      remote.datagram('/to/client', { param: { quick }, data: DATA }, quick);
      const d = await datagrams.next((x) => x.url === '/to/client', "datagram on '/to/client'");

      expect(d.quick).toBe(quick);
      expect(d.payload?.param).toEqual({ quick });
      expect(d.payload?.data).toEqual(DATA);
    });
  });

  it("ping resolves on the server's echo, and times out while the server does not read", async () => {
    const { port, clients } = await startOfficialServer();
    const { client } = await connectOurClient(port);
    const remote = await clients.next(() => true, 'official onclient(cli, true)');

    const rtt = await client.ping(WAIT_MS);
    expect(rtt).toBeGreaterThan(0);
    expect(rtt).toBeLessThan(WAIT_MS);

    // Stop the official server reading this connection: no echo, so the ping must time out.
    const serverSide = (remote as unknown as { _net: NetSocket })._net;
    serverSide.pause();
    await expect(client.ping(200)).rejects.toMatchObject({ code: 'TIMEOUT' });
    serverSide.resume();
    await expect(client.ping(WAIT_MS)).resolves.toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// B) our VsoaServer  <->  official vsoa.Client
// ---------------------------------------------------------------------------------------------

describe('B) our VsoaServer with the official vsoa.Client', () => {
  describe('handshake', () => {
    it('connects without a password and gets the server info', async () => {
      const { server, port, clients } = await startOurServer();
      const { error, info } = await connectOfficialClient(port);
      expect(error).toBeUndefined();
      expect(info).toEqual({ name: 'ours' });
      await clients.next(() => true, "our server's 'client' event");
      expect(server.count).toBe(1);
    });

    it('connects with the right password', async () => {
      const { port } = await startOurServer('secret');
      const { error, info } = await connectOfficialClient(port, 'secret');
      expect(error).toBeUndefined();
      expect(info).toEqual({ name: 'ours' });
    });

    it('refuses a wrong password: the connect callback gets an error with status PASSWORD', async () => {
      const { server, port } = await startOurServer('secret');
      const { error } = await connectOfficialClient(port, 'wrong');
      expect(error).toBeInstanceOf(Error);
      expect(error?.status).toBe(vsoa.code.PASSWORD);
      expect(server.counters.passwordRefused).toBe(1);
      expect(server.count).toBe(0);
    });
  });

  describe('RPC', () => {
    it.each(['GET', 'SET'] as const)('%s echoes param and binary data; our handler sees the method', async (method) => {
      const { server, port } = await startOurServer();
      const seen: Array<{ req: VsoaRequest; payload: VsoaPayload }> = [];
      server.command('/rec', (cli, req, payload) => {
        seen.push({ req, payload });
        cli.reply(req.seqno, payload);
      });
      const { client } = await connectOfficialClient(port);
      const param = { a: 1, s: 'x', list: [1, 2] };

      const reply = await officialCall(client, '/rec', method, { param, data: DATA });

      expect(reply.error).toBeUndefined();
      expect(reply.payload?.param).toEqual(param);
      expect(reply.payload?.data).toEqual(DATA);
      expect(seen).toHaveLength(1);
      expect(seen[0].req.url).toBe('/rec');
      expect(seen[0].req.method).toBe(method);
      expect(seen[0].payload.param).toEqual(param);
      expect(seen[0].payload.data).toEqual(DATA);
    });

    it('a custom status 130 reaches the official client with its param', async () => {
      const { server, port } = await startOurServer();
      server.command('/busy', (cli, req) => cli.reply(req.seqno, { param: { reason: 'busy' } }, { status: 130 }));
      const { client } = await connectOfficialClient(port);

      const reply = await officialCall(client, '/busy', 'GET');

      expect(reply.error?.status).toBe(130);
      expect(reply.payload?.param).toEqual({ reason: 'busy' });
    });

    it('an unknown URL is answered with status 3 (INVALID_URL)', async () => {
      const { port } = await startOurServer();
      const { client } = await connectOfficialClient(port);

      const reply = await officialCall(client, '/no/such/command', 'SET', { param: { x: 1 } });

      expect(reply.error?.status).toBe(vsoa.code.INVALID_URL);
    });
  });

  describe('subscribe and publish', () => {
    // The official client emits every PUBLISH it receives, subscribed or not, so these tests
    // see exactly what our server decided to send.
    it("a list subscription ['/a/', '/b'] gets /a, /a/b/c and /b but not /ab", async () => {
      const { server, port } = await startOurServer();
      const { client, messages } = await connectOfficialClient(port);
      await officialSubscribe(client, ['/a/', '/b']);

      await expectPrefixDelivery((url, payload) => server.publish(url, payload), messages);
    });

    it('a quick (UDP) publish reaches the official client', async () => {
      const { server, port } = await startOurServer();
      const { client, messages } = await connectOfficialClient(port);
      await officialSubscribe(client, ['/a/', '/b']);

      expect(server.publish('/a/quick', { param: { n: 1 }, data: DATA }, { quick: true })).toBe(1);
      const m = await messages.next((x) => x.url === '/a/quick', "quick publish on '/a/quick'");

      expect(m.quick).toBe(true);
      expect(m.payload?.param).toEqual({ n: 1 });
      expect(m.payload?.data).toEqual(DATA);
    });
  });

  describe('datagrams', () => {
    it.each([
      ['reliable (TCP)', false],
      ['quick (UDP)', true],
    ])('official client -> our server, %s', async (_label, quick) => {
      const { port, datagrams } = await startOurServer();
      const { client } = await connectOfficialClient(port);

      client.datagram('/dg', { param: { quick }, data: DATA }, quick);
      const d = await datagrams.next((x) => x.url === '/dg', "our server's 'datagram' on /dg");

      expect(d.quick).toBe(quick);
      expect(d.payload?.param).toEqual({ quick });
      expect(d.payload?.data).toEqual(DATA);
    });

    it.each([
      ['reliable (TCP)', false],
      ['quick (UDP)', true],
    ])('our server -> official client, %s', async (_label, quick) => {
      const { port, clients } = await startOurServer();
      const { datagrams } = await connectOfficialClient(port);
      const remote = await clients.next(() => true, "our server's 'client' event");

      expect(remote.datagram('/to/client', { param: { quick }, data: DATA }, { quick })).toBe(true);
      const d = await datagrams.next((x) => x.url === '/to/client', "official 'datagram' on /to/client");

      expect(d.quick).toBe(quick);
      expect(d.payload?.param).toEqual({ quick });
      expect(d.payload?.data).toEqual(DATA);
    });
  });

  it('carries the largest quick datagram both ways (65484 bytes of url, param and data); one byte more, both sides refuse', async () => {
    const { port, datagrams, clients } = await startOurServer();
    const { client, datagrams: received } = await connectOfficialClient(port);
    const remote = await clients.next(() => true, "our server's 'client' event");
    const url = '/big';
    const data = Buffer.alloc(MAX_QUICK_PAYLOAD_LENGTH - url.length, 7);
    const tooBig = Buffer.alloc(data.length + 1, 7);

    client.datagram(url, { data }, true);
    expect((await datagrams.next((x) => x.url === url, 'the largest quick datagram')).payload?.data).toEqual(data);
    expect(() => client.datagram(url, { data: tooBig }, true)).toThrow(/cannot exceed 65507 bytes/);

    expect(remote.datagram(url, { data }, { quick: true })).toBe(true);
    expect((await received.next((x) => x.url === url, 'the largest quick datagram')).payload?.data).toEqual(data);
    expect(() => remote.datagram(url, { data: tooBig }, { quick: true })).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
  });

  it('ping from the official client gets an answer', async () => {
    const { port } = await startOurServer();
    const { client } = await connectOfficialClient(port);
    await expect(officialPing(client)).resolves.toBeUndefined();
  });
});
