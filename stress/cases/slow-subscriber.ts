/**
 * Slow subscriber: one subscriber stops reading while a large volume is published. The others get
 * everything, the server's memory stays bounded, the stalled one is dropped; one that pauses only
 * briefly is kept and gets everything.
 */
import { VsoaClient, VsoaStatus } from '@vsoa/core';
import type { VsoaPacket } from '@vsoa/core';
import { CaseContext, CaseOutcome, Findings, StressCase } from '../lib/case';
import { dmb, moved, secs } from '../lib/format';
import { RawConn } from '../lib/raw-conn';
import type { ServerProcess } from '../lib/server-process';
import { subscribePacket } from '../lib/wire';
import { sleep, until, within } from '../lib/time';

const TOPIC = '/bulk';
const MIB = 1024 * 1024;
/** Data bytes per publish. */
const SIZE = 64 * 1024;
/** Publishing pace (bytes/s): a steady producer, slow enough for the brief pause to fit the queue budget. */
const RATE = 20 * MIB;
const GOOD = 3;
const PAUSE_MS = 300;
/** Bound on what the server may hold (heap + Buffers) over its level before publishing. */
const PEAK_LIMIT = 30 * MIB;
const HELD_SAMPLE_MS = 100;
/** How long the stalled subscriber may stay after publishing ended (the default send timeout + slack). */
const DROP_WITHIN = 7000;
/** Volume of the warm-up run (fast subscribers only). */
const WARM_UP_BYTES = 48 * MIB;

const scale = (smoke: boolean): number => (smoke ? 32 * MIB : 200 * MIB);

/** Counts publishes and checks they come in order, none missing. */
class Tally {
  received = 0;
  error = '';

  take(n: unknown): void {
    if (n !== this.received && !this.error) this.error = `got message ${String(n)} where ${this.received} was due`;
    this.received++;
  }
}

/** A well-behaved subscriber; `tally` may be replaced to count a new run. */
async function goodSubscriber(port: number): Promise<{ client: VsoaClient; tally: Tally }> {
  const client = new VsoaClient({ timeout: 10_000 });
  const sub = { client, tally: new Tally() };
  client.on('message', (_url, payload) => sub.tally.take((payload.param as { n?: number } | undefined)?.n));
  await client.connect(`vsoa://127.0.0.1:${port}`);
  await client.subscribe(TOPIC);
  return sub;
}

/**
 * Warm-up and control: the same publishing to the well-behaved subscribers alone, from a cold
 * server. Its peak is the RSS swing of garbage alone (each publish encodes a fresh packet, freed
 * when V8 collects), and it leaves the server warm, as a server that has been publishing is.
 */
async function warmUpPeak(server: ServerProcess, good: Array<{ tally: Tally }>, count: number): Promise<number> {
  const before = await server.stats(true);
  await server.request('resetPeak', {});
  await server.request('publish', { url: TOPIC, count, size: SIZE, rate: RATE }, 10 * 60_000);
  await until(() => good.every((g) => g.tally.received >= count), 15_000);
  for (const g of good) g.tally = new Tally();
  return (await server.stats()).peakRss - before.rss;
}

/** A raw subscriber, whose socket the case can stop reading. */
async function rawSubscriber(port: number): Promise<{ conn: RawConn; tally: Tally }> {
  const conn = await RawConn.open(port);
  const tally = new Tally();
  conn.onPublish = (packet: VsoaPacket) => tally.take((JSON.parse(packet.param.toString()) as { n?: number }).n);
  await conn.handshake('');
  await conn.write(subscribePacket(TOPIC, 2));
  const reply = await conn.next(5000, 'subscribe reply');
  if (reply.status !== VsoaStatus.SUCCESS) throw new Error(`subscribe answered status ${reply.status}`);
  return { conn, tally };
}

/**
 * The most the server holds (heap + Buffers, after a GC: queues, not garbage) while `until`
 * is pending, sampled every HELD_SAMPLE_MS.
 */
async function sampleHeld(server: ServerProcess, until: Promise<unknown>): Promise<number> {
  let pending = true;
  void until.finally(() => (pending = false));
  let peak = 0;
  while (pending) {
    const stats = await server.stats(true);
    peak = Math.max(peak, stats.heapUsed + stats.arrayBuffers);
    await sleep(HELD_SAMPLE_MS);
  }
  return peak;
}

async function run(ctx: CaseContext): Promise<CaseOutcome> {
  const found = new Findings();
  const total = scale(ctx.smoke);
  const count = Math.ceil(total / SIZE);
  const server = await ctx.startServer();
  const good = await Promise.all(Array.from({ length: GOOD }, () => goodSubscriber(server.port)));
  const warmUp = await warmUpPeak(server, good, Math.ceil(WARM_UP_BYTES / SIZE));
  const stalled = await rawSubscriber(server.port);
  const pauser = await rawSubscriber(server.port);
  try {
    stalled.conn.socket.pause();
    const before = await server.stats(true);
    await server.request('resetPeak', {});
    const published = server.request('publish', { url: TOPIC, count, size: SIZE, rate: RATE }, 10 * 60_000);
    const heldPeak = sampleHeld(server, published);
    // The brief pause, a third of the way in.
    await until(() => pauser.tally.received >= count / 3, 60_000, 5);
    pauser.conn.socket.pause();
    await sleep(PAUSE_MS);
    pauser.conn.socket.resume();
    const { ms } = await published;
    const everyone = [...good.map((g) => g.tally), pauser.tally];
    const done = await until(() => everyone.every((t) => t.received >= count), 15_000);
    found.check(done, `not everyone received all ${count} messages 15 s after publishing ended`);
    const after = await server.stats();

    good.forEach(({ tally }, i) =>
      found.check(tally.received === count && !tally.error, `good subscriber ${i}: ${tally.received}/${count} ${tally.error}`),
    );
    found.check(!pauser.conn.closed, `the subscriber that paused ${PAUSE_MS} ms was dropped`);
    found.check(
      pauser.tally.received === count && !pauser.tally.error,
      `paused subscriber: ${pauser.tally.received}/${count} ${pauser.tally.error}`,
    );
    // Dropped by the queue budget, or at the latest by the send timeout (5 s by default).
    const dropped = await until(async () => (await server.stats()).clients === GOOD + 1, DROP_WITHIN);
    found.check(dropped, `server holds ${(await server.stats()).clients} clients, expected ${GOOD + 1} (the stalled one dropped)`);
    const counted = moved(before.counters, (await server.stats()).counters).slowClientsDropped ?? 0;
    if (before.counters) found.check(counted === 1, `counters.slowClientsDropped moved by ${counted}, expected 1`);
    // Reading again, the stalled one finds its connection closed.
    stalled.conn.socket.resume();
    const gone = await within(stalled.conn.whenClosed, 5000, 'close').then(
      () => true,
      () => false,
    );
    found.check(gone, 'the stalled subscriber’s connection is still open');
    found.note(`stalled subscriber got ${stalled.tally.received} of ${count} messages before it was dropped`);
    const held = (await heldPeak) - (before.heapUsed + before.arrayBuffers);
    const peak = after.peakRss - before.rss;
    found.check(held < PEAK_LIMIT, `the server held up to ${dmb(held)} of heap + buffers, over the ${dmb(PEAK_LIMIT)} limit`);
    found.note(
      `held and RSS sampled after a GC every ${HELD_SAMPLE_MS} ms; "publishing alone": the same to the ${GOOD} good subscribers, ` +
        `first, from a cold server, without forced GC (the swing of garbage between collections)`,
    );
    const figure =
      `${Math.round(total / MIB)} MB to ${GOOD + 2} subscribers in ${secs(ms)}: ${GOOD} + the ${PAUSE_MS}-ms pauser got all ${count}, ` +
      `stalled one ${gone ? 'dropped' : 'kept'}; server held ≤ ${dmb(held)} (heap + buffers), RSS peak ${dmb(peak)}; ` +
      `publishing alone from cold: RSS peak ${dmb(warmUp)}`;
    return found.outcome(figure);
  } finally {
    stalled.conn.destroy();
    pauser.conn.destroy();
    await Promise.all(good.map(({ client }) => client.close()));
  }
}

export const slowSubscriberCase: StressCase = {
  id: 'slow-subscriber',
  title: (smoke) => `slow subscriber (${Math.round(scale(smoke) / MIB)} MB published at ${RATE / MIB} MB/s)`,
  targets: ['ours', 'official'],
  timeout: 120_000,
  run,
};
