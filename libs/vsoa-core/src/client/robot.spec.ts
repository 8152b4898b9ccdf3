/**
 * The robot behind `client.robot()`: the options it refuses, the connect options it passes on,
 * how it stops, when it pings, and what it re-subscribes. Sockets are real (127.0.0.1, port 0);
 * where time matters it runs on Jest's fake clock once the sockets are up.
 */
import type { Socket } from 'node:net';
import { Flag, PacketType } from '../protocol/constants';
import { encodePacket, VsoaPacket } from '../protocol/packet';
import { VsoaServer } from '../server/server';
import { VsoaClient } from './client';
import { checkRobotOptions } from './robot';
import type { RobotOptions } from './types';
import { nextEvent } from '../../../../test/helpers/events';
import { FakeServer, handshakeReply } from '../../../../test/helpers/fake-server';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { RecordingLogger } from '../../../../test/helpers/recording-logger';

const teardowns = teardownsAfterEach();
afterEach(() => jest.useRealTimers());

/** Fake time for timers and Date; I/O callbacks, ticks and setImmediate stay real. */
function fakeClock(): void {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
}

/** Lets every promise callback queued so far run (setImmediate comes after the microtasks). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function newClient(options?: ConstructorParameters<typeof VsoaClient>[0]): VsoaClient {
  const client = new VsoaClient(options);
  teardowns.push(() => client.close());
  return client;
}

/** A hand-written server that answers as `onPacket` says. */
async function fakeServer(onPacket: (packet: VsoaPacket, socket: Socket) => void): Promise<{ fake: FakeServer; url: string }> {
  const fake = new FakeServer(onPacket);
  teardowns.push(() => fake.close());
  const port = await fake.listen();
  return { fake, url: `vsoa://127.0.0.1:${port}` };
}

function reply(p: VsoaPacket, status = 0): Buffer {
  return encodePacket({ type: p.type, flags: Flag.REPLY, status, seqno: p.seqno });
}

/** Admits clients and answers pings (and SUBSCRIBE with `subscribeStatus`); never answers a call. */
function friendlyServer(subscribeStatus: () => number = () => 0): Promise<{ fake: FakeServer; url: string }> {
  return fakeServer((p, s) => {
    if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 1));
    if (p.type === PacketType.PINGECHO) s.write(reply(p));
    if (p.type === PacketType.SUBSCRIBE) s.write(reply(p, subscribeStatus()));
  });
}

describe('robot options', () => {
  const refused = (options: RobotOptions): string => {
    try {
      checkRobotOptions(options);
    } catch (error) {
      expect(error).toMatchObject({ name: 'VsoaError', code: 'INVALID_ARGUMENT' });
      return (error as Error).message;
    }
    throw new Error(`accepted ${JSON.stringify(options)}`);
  };

  it('refuses values that are not finite numbers, naming the option', () => {
    expect(refused({ keepalive: Number.NaN })).toBe('robot: keepalive must be at least 50 ms, got NaN');
    expect(refused({ keepalive: Number.POSITIVE_INFINITY })).toBe('robot: keepalive must be at least 50 ms, got Infinity');
    expect(refused({ keepalive: '100' as never })).toBe('robot: keepalive must be at least 50 ms, got 100');
    expect(refused({ connTimeout: Number.NaN })).toBe('robot: connTimeout must be at least 50 ms, got NaN');
    expect(refused({ reconnDelay: Number.NaN })).toBe('robot: reconnDelay must be >= 0 ms, got NaN');
    expect(refused({ pingLost: 1.5 })).toBe('robot: pingLost must be a whole number >= 1, got 1.5');
    expect(refused({ pingTimeout: Number.NaN })).toBe('robot: pingTimeout must be > 0 ms, got NaN');
  });

  it('refuses a pingTimeout of 0 or less', () => {
    expect(refused({ pingTimeout: 0 })).toBe('robot: pingTimeout must be > 0 ms, got 0');
    expect(refused({ pingTimeout: -5 })).toBe('robot: pingTimeout must be > 0 ms, got -5');
  });

  it('refuses a turbo that is negative, under 25 ms, not a finite number, or over the keepalive', () => {
    const below = (turbo: unknown): string => `robot: turbo must be 0 (off) or at least 25 ms, got ${String(turbo)}`;
    for (const turbo of [-1, -100, 24, Number.NaN, Number.POSITIVE_INFINITY, '30' as never]) expect(refused({ turbo })).toBe(below(turbo));
    expect(refused({ keepalive: 100, turbo: 101 })).toBe('robot: turbo (101 ms) must not exceed keepalive (100 ms)');
  });

  it('accepts each bound itself: keepalive and connTimeout 50, reconnDelay 0, pingLost 1, turbo 25 or the keepalive', () => {
    for (const options of [
      { keepalive: 50 },
      { connTimeout: 50 },
      { reconnDelay: 0 },
      { pingLost: 1 },
      { pingTimeout: 1 },
      { turbo: 0 },
      { turbo: 25 },
      { keepalive: 100, turbo: 100 },
      { turbo: 3000 },
    ]) {
      expect(() => checkRobotOptions(options)).not.toThrow();
    }
  });
});

describe('robot connect', () => {
  it('connects with the password it was given', async () => {
    const server = new VsoaServer({ passwd: 'secret' });
    teardowns.push(() => server.close());
    await server.listen({ host: '127.0.0.1', port: 0 });
    const client = newClient();
    const connected = nextEvent(client, 'connect');
    const failed: Error[] = [];
    client.on('connectError', (error) => failed.push(error));
    client.robot(`vsoa://127.0.0.1:${server.address()!.port}`, { passwd: 'secret', reconnDelay: 10_000 });
    await connected;
    expect(failed).toEqual([]);
  });

  it('allows each attempt connTimeout ms, else timeout ms, reporting and logging each failure', async () => {
    const { url } = await fakeServer(() => undefined);
    const logger = new RecordingLogger();
    const client = newClient({ logger });
    const failed = nextEvent<[Error]>(client, 'connectError');
    client.robot(url, { connTimeout: 60, timeout: 5000, reconnDelay: 10_000 });
    const [error] = await failed;
    expect(error).toMatchObject({ code: 'SERVER_NO_RESPONDING', message: expect.stringMatching(/ in 60 ms$/) });
    expect(logger.debugs).toContain(`robot: connect to ${url} failed: ${error.message}`);
    client.disconnect();

    const other = newClient();
    const failedToo = nextEvent<[Error]>(other, 'connectError');
    other.robot(url, { timeout: 70, reconnDelay: 10_000 });
    expect((await failedToo)[0]).toMatchObject({ code: 'SERVER_NO_RESPONDING', message: expect.stringMatching(/ in 70 ms$/) });
  });

  it('stopped while connecting, closes the link the server then admits', async () => {
    let admit!: () => void;
    const hello = new Promise<void>((resolve) => {
      admit = resolve;
    });
    let serverSide!: Socket;
    const { url } = await fakeServer((p, s) => {
      if (p.type !== PacketType.SERVINFO) return;
      serverSide = s;
      admit();
    });
    const client = newClient();
    const seen: Array<Error | undefined> = [];
    client.on('disconnect', (error) => seen.push(error));
    client.robot(url, { reconnDelay: 10_000 });
    await hello;
    client.disconnect();
    const closed = new Promise<void>((resolve) => serverSide.once('close', () => resolve()));
    serverSide.write(handshakeReply(1, 1));
    await closed;
    expect(client.connected).toBe(false);
    expect(seen).toEqual([expect.objectContaining({ code: 'CLOSED', message: 'robot stopped' })]);
  });

  it('stopped while connecting, reports no failure of that attempt', async () => {
    let hello!: () => void;
    const helloSeen = new Promise<void>((resolve) => (hello = resolve));
    const { url } = await fakeServer(() => hello());
    const logger = new RecordingLogger();
    const client = newClient({ logger });
    const failures: Error[] = [];
    client.on('connectError', (error) => failures.push(error));
    fakeClock();
    client.robot(url, { connTimeout: 100, reconnDelay: 10 });
    await helloSeen;
    client.disconnect();
    // The attempt times out after it was stopped.
    jest.advanceTimersByTime(1000);
    await flush();
    expect(failures).toEqual([]);
    expect(logger.debugs.filter((m) => m.startsWith('robot:'))).toEqual([]);
  });
});

describe('robot pings', () => {
  it('keeps pinging every keepalive while the server answers', async () => {
    const { fake, url } = await friendlyServer();
    const client = newClient();
    const three = new Promise<void>((resolve) => {
      let pings = 0;
      fake.onPacket((p) => {
        if (p.type === PacketType.PINGECHO && ++pings === 3) resolve();
      });
    });
    client.robot(url, { keepalive: 50 });
    await three;
    expect(client.connected).toBe(true);
  });

  it('with turbo on, pings at the turbo period only while calls are pending', async () => {
    const { url } = await friendlyServer();
    const client = newClient();
    fakeClock();
    const connected = nextEvent(client, 'connect');
    client.robot(url, { keepalive: 10_000, turbo: 25 });
    await connected;
    await flush();
    // No call pending: nothing but the keepalive, which is 10 s away.
    jest.advanceTimersByTime(1000);
    expect(client.pending).toBe(0);
    // A call pending: a ping goes out at the next turbo tick.
    const call = client.fetch('/slow', { timeout: 60_000 });
    call.catch(() => undefined);
    expect(client.pending).toBe(1);
    jest.advanceTimersByTime(25);
    expect(client.pending).toBe(2);
    // One ping at a time: none more while that one waits for its answer.
    jest.advanceTimersByTime(100);
    expect(client.pending).toBe(2);
  });

  it('says how many pings were lost when it drops the link', async () => {
    const { url } = await fakeServer((p, s) => {
      if (p.type === PacketType.SERVINFO) s.write(handshakeReply(p.seqno, 1));
    });
    const logger = new RecordingLogger();
    const client = newClient({ logger });
    const first = nextEvent(client, 'connect');
    client.robot(url, { keepalive: 50, pingTimeout: 50, pingLost: 2, reconnDelay: 10_000 });
    await first;
    const [error] = await nextEvent<[Error]>(client, 'disconnect', () => true, 3000);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: '2 keepalive pings lost' });
    expect(logger.warnings).toEqual(['robot: 2 pings lost, dropping the link']);
  });

  it('does not count a ping the closing link cut off as lost', async () => {
    let serverSide!: Socket;
    let ping!: () => void;
    const pinged = new Promise<void>((resolve) => (ping = resolve));
    const { url } = await fakeServer((p, s) => {
      if (p.type === PacketType.SERVINFO) {
        serverSide = s;
        s.write(handshakeReply(p.seqno, 1));
      }
      if (p.type === PacketType.PINGECHO) ping();
    });
    const logger = new RecordingLogger();
    const client = newClient({ logger });
    fakeClock();
    const connected = nextEvent(client, 'connect');
    client.robot(url, { keepalive: 1000, pingLost: 1, reconnDelay: 10_000 });
    await connected;
    await flush();
    jest.advanceTimersByTime(1000);
    await pinged;
    expect(client.pending).toBe(1);
    const dropped = nextEvent(client, 'disconnect');
    serverSide.destroy();
    await dropped;
    await flush();
    expect(logger.warnings).toEqual([]);
  });
});

describe('robot re-subscribe', () => {
  it('re-subscribes after a reconnect, warning when the server refuses; with nothing to renew it sends nothing', async () => {
    let refuse = false;
    const { fake, url } = await friendlyServer(() => (refuse ? 3 : 0));
    const logger = new RecordingLogger();
    const client = newClient({ logger });
    const first = nextEvent(client, 'connect');
    client.robot(url, { reconnDelay: 20 });
    await first;
    // Nothing subscribed yet: the connect sent no SUBSCRIBE, and nothing was warned about.
    await client.ping();
    expect(logger.warnings).toEqual([]);
    expect(fake.received.filter((p) => p.type === PacketType.SUBSCRIBE)).toEqual([]);

    await client.subscribe('/a');
    refuse = true;
    const warned = nextEvent<[string]>(logger, 'warn');
    fake.sockets[0].destroy();
    expect((await warned)[0]).toMatch(/^robot: re-subscribe failed: subscribe \/a failed with status /);
  });

  it('does not re-subscribe a URL unsubscribed while it reconnected', async () => {
    let hold = false;
    let admitHeld!: () => void;
    const held = new Promise<void>((resolve) => (admitHeld = resolve));
    let release!: () => void;
    const { fake, url } = await fakeServer((p, s) => {
      if (p.type === PacketType.SERVINFO) {
        if (!hold) s.write(handshakeReply(p.seqno, 1));
        else {
          release = () => s.write(handshakeReply(p.seqno, 2));
          admitHeld();
        }
      }
      if (p.type === PacketType.PINGECHO || p.type === PacketType.SUBSCRIBE || p.type === PacketType.UNSUBSCRIBE) s.write(reply(p));
    });
    const client = newClient();
    const first = nextEvent(client, 'connect');
    client.robot(url, { reconnDelay: 20 });
    await first;
    await client.subscribe(['/keep', '/drop']);
    hold = true;
    fake.sockets[0].destroy();
    await held;
    // The new link is being set up: the user unsubscribes meanwhile (nothing to send it on).
    await expect(client.unsubscribe('/drop')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    const renewed = nextEvent<[string]>(client, 'subscribed');
    release();
    expect(await renewed).toEqual(['/keep']);
    await client.ping();
    const second = fake.received.slice(fake.received.findIndex((p) => p.type === PacketType.SERVINFO && p !== fake.received[0]));
    expect(second.filter((p) => p.type === PacketType.SUBSCRIBE).map((p) => p.url)).toEqual(['/keep']);
  });
});
