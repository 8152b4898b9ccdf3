import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { EventEmitter, once } from 'node:events';
import { VsoaClient } from '../client/client';
import { PacketType, VsoaStatus } from '../protocol/constants';
import { encodePacket } from '../protocol/packet';
import { WorkQueue } from '../work-queue';
import { VsoaServer } from './server';
import type { VsoaServerOptions } from './types';
import { nextEvent } from '../../../../test/helpers/events';
import { disposeTestPki, makeTestPki } from '../../../../test/helpers/certs';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { RawPeer } from '../../../../test/helpers/raw-peer';

/** What one client may cost the server, and what it leaves behind. */
describe('per-client bounds', () => {
  const teardowns = teardownsAfterEach();
  afterAll(() => disposeTestPki());

  async function start(options: VsoaServerOptions = {}, tls?: { key: string; cert: string }): Promise<{ server: VsoaServer; url: string }> {
    const server = new VsoaServer({ info: { name: 'bounds' }, ...options });
    server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
    await server.listen({ host: '127.0.0.1', port: 0, tls });
    teardowns.push(() => server.close());
    return { server, url: `vsoa://127.0.0.1:${server.address()!.port}` };
  }

  async function connect(url: string): Promise<VsoaClient> {
    const client = new VsoaClient({ timeout: 3000 });
    teardowns.push(() => client.close());
    await client.connect(url);
    return client;
  }

  it('refuses subscriptions past maxSubscriptions with NO_MEMORY, all of a list or none, keeping the rest', async () => {
    const { server, url } = await start({ maxSubscriptions: 3 });
    const client = await connect(url);
    await client.subscribe(['/a', '/b/']);
    await client.subscribe('/a'); // already held: no new one
    await client.subscribe('/c');
    await expect(client.subscribe('/d')).rejects.toMatchObject({ name: 'VsoaStatusError', status: VsoaStatus.NO_MEMORY });
    expect(server.isSubscribed('/d')).toBe(false);
    // What it holds still works.
    const got = nextEvent<[string]>(client, 'message');
    server.publish('/b/x', { param: 1 });
    expect((await got)[0]).toBe('/b/x');

    // A list SUBSCRIBE (one packet) that would pass the cap applies none of its URLs.
    const peer = await RawPeer.open(server.address()!.port);
    teardowns.push(() => peer.destroy());
    await peer.handshake();
    const list = (seqno: number, urls: string[]): void =>
      peer.send(encodePacket({ type: PacketType.SUBSCRIBE, seqno, param: Buffer.from(JSON.stringify(urls)) }));
    list(1, ['/1', '/2']);
    expect((await peer.next((p) => p.seqno === 1)).status).toBe(VsoaStatus.SUCCESS);
    list(2, ['/3', '/4']);
    expect((await peer.next((p) => p.seqno === 2)).status).toBe(VsoaStatus.NO_MEMORY);
    expect(server.isSubscribed('/3')).toBe(false);
    expect(server.counters.subscriptionsRefused).toBe(2);
  });

  it("forgets a client's subscriptions in the publish index when it leaves or unsubscribes", async () => {
    const { server, url } = await start();
    const client = await connect(url);
    await client.subscribe(['/a/', '/a/b', '/x']);
    // Covered twice (/a/ and /a/b): delivered once.
    const delivered: string[] = [];
    client.on('message', (u) => delivered.push(u));
    const marker = nextEvent<[string]>(client, 'message', (u) => u === '/x');
    expect(server.publish('/a/b', { param: 1 })).toBe(1);
    server.publish('/x');
    await marker;
    expect(delivered).toEqual(['/a/b', '/x']);
    await client.unsubscribe('/a/');
    expect(server.isSubscribed('/a/c')).toBe(false);
    expect(server.isSubscribed('/a/b')).toBe(true);
    const left = nextEvent(server, 'client', (_cli, connected) => !connected);
    await client.close();
    await left;
    expect(server.isSubscribed('/a/b')).toBe(false);
    expect(server.publish('/a/b')).toBe(0);
  });

  it('stops reading a client with maxCallsInFlight calls waiting, and lets the rest in, in order, as replies go out', async () => {
    const { server, url } = await start({ maxCallsInFlight: 4 });
    const held: Array<() => void> = [];
    const arrivals = new EventEmitter();
    let peak = 0;
    server.command('/hold', (cli, req) => {
      held.push(() => cli.reply(req.seqno, { param: req.seqno }));
      peak = Math.max(peak, held.length);
      arrivals.emit('held');
    });
    /** Resolves once `test` holds, checking after each call that reaches the handler. */
    const until = async (test: () => boolean): Promise<void> => {
      while (!test()) await nextEvent(arrivals, 'held');
    };
    const client = await connect(url);
    const calls = Array.from({ length: 20 }, () => client.fetch('/hold'));
    await until(() => held.length === 4);
    expect(server.counters.callsThrottled).toBe(1);
    // One reply lets one more call in, and so on, until all twenty are answered.
    for (let answered = 0; answered < 20; answered++) {
      await until(() => held.length > 0);
      held.shift()!();
    }
    const replies = await Promise.all(calls);
    expect(replies.map((r) => r.payload.param)).toEqual(replies.map((r) => r.seqno));
    // The twenty went out at once; never more than four reached the handler together.
    expect(peak).toBe(4);
  });

  it('refuses a stream tunnel past maxStreamsPerClient, and allows one again when one closes', async () => {
    const { server, url } = await start({ maxStreamsPerClient: 2 });
    const client = await connect(url);
    const [cli] = server.clients();
    const first = await server.createStream({ client: cli, timeout: 5000 });
    await server.createStream({ client: cli, timeout: 5000 });
    await expect(server.createStream({ client: cli })).rejects.toMatchObject({
      code: 'LIMIT',
      status: VsoaStatus.NO_MEMORY,
      message: `client ${cli.id} has 2 stream tunnels open or waiting (maxStreamsPerClient)`,
    });
    expect(server.counters.streamLimitHits).toBe(1);
    const closed = once(first, 'close');
    first.destroy();
    await closed;
    await expect(server.createStream({ client: cli, timeout: 5000 })).resolves.toBeDefined();
    // One closed, one opened: the client is at its limit again.
    await expect(server.createStream({ client: cli })).rejects.toMatchObject({ code: 'LIMIT' });
    expect(server.counters.streamLimitHits).toBe(2);
    expect(client.connected).toBe(true);
  });

  it("drops a client's work-queue jobs that have not started when it leaves; the running one finishes", async () => {
    const { server, url } = await start();
    const queue = new WorkQueue();
    const ran: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started = new EventEmitter();
    server.command(
      '/job',
      async (cli, req, payload) => {
        ran.push(payload.param as number);
        started.emit('job');
        await gate;
        cli.reply(req.seqno);
      },
      { workQueue: queue },
    );
    const client = await connect(url);
    const running = nextEvent(started, 'job');
    for (let n = 0; n < 50; n++) client.fetch('/job', { payload: { param: n } }).catch(() => undefined);
    await running;
    await until(() => queue.size === 49);
    const left = nextEvent(server, 'client', (_cli, connected) => !connected);
    await client.close();
    await left;
    expect(queue.size).toBe(0);
    expect(server.counters.jobsDropped).toBe(49);
    release();
    await queue.idle();
    expect(ran).toEqual([0]);

    /** Waits for the server to have read every call (each queues a job): a ping after them answers last. */
    async function until(test: () => boolean): Promise<void> {
      if (!test()) await client.ping();
      expect(test()).toBe(true);
    }
  });
});

describe('TLS against hostile clients', () => {
  const teardowns = teardownsAfterEach();
  afterAll(() => disposeTestPki());

  async function tlsServer(options: VsoaServerOptions = {}): Promise<VsoaServer> {
    const pki = await makeTestPki();
    const server = new VsoaServer({ info: { name: 'tls' }, ...options });
    await server.listen({ host: '127.0.0.1', port: 0, tls: { key: pki.server.key, cert: pki.server.cert } });
    teardowns.push(() => server.close());
    return server;
  }

  it('closes a TLS 1.2 connection that tries to renegotiate, and says why', async () => {
    const warnings: string[] = [];
    const server = await tlsServer({ logger: { debug: () => undefined, warn: (message) => warnings.push(message) } });
    const pki = await makeTestPki();
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: server.address()!.port,
      ca: pki.ca,
      servername: 'localhost',
      maxVersion: 'TLSv1.2',
    });
    teardowns.push(() => socket.destroy());
    socket.on('error', () => undefined);
    await once(socket, 'secureConnect');
    const closed = once(socket, 'close');
    (socket as TLSSocket).renegotiate({}, () => undefined);
    await closed;
    expect(server.counters.tlsHandshakeFailures).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/^client \d+ \(127\.0\.0\.1\) closed: TLS renegotiation is refused$/)]);
  });

  it('closes a TCP connection that never starts TLS within the handshake timeout', async () => {
    const server = await tlsServer({ handshakeTimeout: 300 });
    const socket = netConnect({ host: '127.0.0.1', port: server.address()!.port });
    teardowns.push(() => socket.destroy());
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    const started = Date.now();
    await once(socket, 'close');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(server.counters.tlsHandshakeFailures).toBe(1);
  });
});
