/**
 * Long run: many RPCs and publishes. After warm-up, what the server holds (heap used + Buffers)
 * and its RSS outside the V8 heap must stay flat (within 10 %); RSS itself is reported, since it
 * also follows the V8 heap's young generation, which grows with the allocation rate. The server's
 * handles and timers must be back to their baseline once the clients have left.
 */
import { VsoaClient } from '@vsoa/core';
import { CaseContext, CaseOutcome, Findings, StressCase } from '../lib/case';
import { count, mb, rate, secs, tally } from '../lib/format';
import type { ServerStats } from '../lib/ipc';
import type { ServerProcess } from '../lib/server-process';
import { sleep, until } from '../lib/time';

const TOPIC = '/long';
const RPC_CLIENTS = 4;
/** Calls each RPC client keeps in flight. */
const WINDOW = 16;
const SUBSCRIBERS = 2;
/** Publishes per request to the server; the next batch waits until every subscriber has this one. */
const BATCH = 2000;
/** At each tenth of the work the load pauses and the server is measured after a GC. */
const CHECKPOINTS = 10;
/** The first tenths are warm-up; the highest level seen in them is the one the rest must keep to. */
const WARM_UP = 2;
const FLAT_WITHIN = 0.1;
/** Below this, growth of what the server holds is noise (a leak of a byte per call would pass it in 1M calls). */
const HELD_FLOOR = 1024 * 1024;

const scale = (smoke: boolean): number => (smoke ? 20_000 : 1_000_000);

const connect = async (port: number): Promise<VsoaClient> => {
  const client = new VsoaClient({ timeout: 10_000 });
  await client.connect(`vsoa://127.0.0.1:${port}`);
  return client;
};

/** Lets the sampler stop the load at a checkpoint, so that every sample is taken with nothing in flight. */
class LoadGate {
  private busy = 0;
  private paused: Promise<void> | null = null;
  private release: (() => void) | null = null;

  /** Runs one unit of work, after waiting while the load is held. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    while (this.paused) await this.paused;
    this.busy++;
    try {
      return await work();
    } finally {
      this.busy--;
    }
  }

  /** Holds new work back and resolves once the work in progress is done. */
  async hold(): Promise<void> {
    this.paused = new Promise((resolve) => (this.release = resolve));
    await until(() => this.busy === 0, 10_000, 1);
  }

  resume(): void {
    const release = this.release;
    this.paused = null;
    this.release = null;
    release?.();
  }
}

/** Calls /echo `total` times over the clients, `WINDOW` at a time each; returns the errors. */
async function callMany(clients: VsoaClient[], total: number, done: { rpcs: number }, gate: LoadGate): Promise<string[]> {
  const errors: string[] = [];
  let issued = 0;
  const worker = async (client: VsoaClient): Promise<void> => {
    while (issued < total) {
      const i = issued++;
      try {
        const reply = await gate.run(() => client.fetch('/echo', { payload: { param: { i } } }));
        if (reply.status !== 0 || (reply.payload.param as { i?: number } | undefined)?.i !== i)
          errors.push(`call ${i}: wrong reply (status ${reply.status})`);
      } catch (error) {
        errors.push(`call ${i}: ${(error as Error).message}`);
      }
      done.rpcs++;
    }
  };
  await Promise.all(clients.flatMap((client) => Array.from({ length: WINDOW }, () => worker(client))));
  return errors;
}

/** Publishes `total` messages in batches, each batch received by every subscriber before the next. */
async function publishMany(
  server: ServerProcess,
  received: number[],
  total: number,
  done: { publishes: number },
  gate: LoadGate,
): Promise<string[]> {
  let published = 0;
  while (published < total) {
    const batch = Math.min(BATCH, total - published);
    const arrived = await gate.run(async () => {
      await server.request('publish', { url: TOPIC, count: batch, size: 16, rate: 0 });
      return until(() => received.every((n) => n >= published + batch), 10_000, 1);
    });
    published += batch;
    if (!arrived) return [`subscribers received ${received.join(', ')} of ${published} publishes`];
    done.publishes = Math.min(...received);
  }
  return [];
}

/** One measure across the checkpoints: its level during warm-up (the highest), its top after, and the growth. */
function series(samples: ServerStats[], measure: (s: ServerStats) => number): { warm: number; top: number; growth: number; list: string } {
  const values = samples.map(measure);
  const warm = Math.max(...values.slice(0, WARM_UP));
  const top = Math.max(...values.slice(WARM_UP));
  return { warm, top, growth: (top - warm) / warm, list: values.map((v) => (v / 1048576).toFixed(1)).join(', ') };
}

const pct = (fraction: number): string => `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)} %`;

async function run(ctx: CaseContext): Promise<CaseOutcome> {
  const found = new Findings();
  const n = scale(ctx.smoke);
  const server = await ctx.startServer();
  const baseline = await server.stats(true);
  const rpcClients = await Promise.all(Array.from({ length: RPC_CLIENTS }, () => connect(server.port)));
  const subscribers = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => connect(server.port)));
  const received = subscribers.map(() => 0);
  subscribers.forEach((client, i) => client.on('message', () => received[i]++));
  await Promise.all(subscribers.map((client) => client.subscribe(TOPIC)));

  const done = { rpcs: 0, publishes: 0 };
  const gate = new LoadGate();
  const samples: ServerStats[] = [];
  let finished = false;
  const start = performance.now();
  const sampler = (async () => {
    for (let k = 1; k <= CHECKPOINTS;) {
      if (done.rpcs + done.publishes < (2 * n * k) / CHECKPOINTS) {
        if (finished) break; // failed short of the total
        await sleep(50);
        continue;
      }
      await gate.hold();
      const stats = await server.stats(true);
      gate.resume();
      samples.push(stats);
      ctx.progress(`${k * 10} %: ${count(done.rpcs)} RPCs, ${count(done.publishes)} publishes, RSS ${mb(stats.rss)}`);
      k++;
    }
  })();
  const [rpcErrors, pubErrors] = await Promise.all([callMany(rpcClients, n, done, gate), publishMany(server, received, n, done, gate)]);
  const ms = performance.now() - start;
  finished = true;
  await sampler;
  found.check(rpcErrors.length === 0, `${rpcErrors.length} RPCs failed; first: ${rpcErrors[0]}`);
  for (const error of pubErrors) found.fail(error);

  found.check(samples.length === CHECKPOINTS, `only ${samples.length} of ${CHECKPOINTS} samples taken`);
  const rss = series(samples, (s) => s.rss);
  const held = series(samples, (s) => s.heapUsed + s.arrayBuffers);
  const native = series(samples, (s) => s.rss - s.heapTotal);
  const heap = series(samples, (s) => s.heapTotal);
  found.check(
    held.top - held.warm <= Math.max(FLAT_WITHIN * held.warm, HELD_FLOOR),
    `heap used + buffers grew from ${mb(held.warm)} after warm-up to ${mb(held.top)}`,
  );
  found.check(native.growth <= FLAT_WITHIN, `RSS outside the V8 heap grew from ${mb(native.warm)} after warm-up to ${mb(native.top)}`);
  const peak = (await server.stats()).peakRss;

  await Promise.all([...rpcClients, ...subscribers].map((client) => client.close()));
  found.check(await until(async () => (await server.stats()).clients === 0, 5000), 'clients still held 5 s after they left');
  let after = await server.stats(true);
  const same = (): boolean => tally(after.resources) === tally(baseline.resources);
  await until(async () => same() || ((after = await server.stats(true)), same()), 5000, 100);
  found.check(same(), `handles/timers ${tally(after.resources)} after the clients left; baseline ${tally(baseline.resources)}`);
  found.note(
    `at each tenth, after GC (MB): RSS ${rss.list}; heap used + buffers ${held.list}; V8 heap held ${heap.list}; ` +
      `RSS outside it ${native.list}; RSS peak without GC ${mb(peak)}`,
  );
  if (rss.growth > FLAT_WITHIN) {
    found.note(
      `RSS ${pct(rss.growth)} over the run: the V8 heap held grew from ${mb(heap.warm)} to ${mb(heap.top)} (its young generation follows the allocation rate)`,
    );
  }
  found.note(`handles/timers: baseline ${tally(baseline.resources)}; after ${tally(after.resources)}`);

  const figure =
    `${count(n)} RPCs + ${count(n)} publishes in ${secs(ms)} (${rate(n, ms)} each); after warm-up (${WARM_UP * 10} %) → max: ` +
    `heap + buffers ${mb(held.warm)} → ${mb(held.top)} (${pct(held.growth)}), RSS outside the V8 heap ${mb(native.warm)} → ${mb(native.top)} ` +
    `(${pct(native.growth)}), RSS ${mb(rss.warm)} → ${mb(rss.top)} (${pct(rss.growth)}); handles/timers ${same() ? 'back to baseline' : 'NOT back'}`;
  return found.outcome(figure);
}

export const longRunCase: StressCase = {
  id: 'long-run',
  title: (smoke) => `long run: ${count(scale(smoke))} RPCs + ${count(scale(smoke))} publishes`,
  targets: ['ours', 'official'],
  timeout: 15 * 60_000,
  run,
};
