/**
 * Fuzz: a million random and mutated packets over many TCP connections (before and after the
 * handshake, in every chunking down to single bytes) and over UDP, in two rounds, while a
 * well-behaved client calls every 10 ms. The server must stay up, the good client must never
 * fail, and what the server holds (JS heap, Buffers, handles) must come back to its baseline after
 * each round. RSS is reported: it stays near the allocator's high-water mark (see docs/reliability.md).
 */
import { CaseContext, CaseOutcome, Findings, StressCase } from '../lib/case';
import { count, dmb, mb, moved, msec, rate, secs, tally } from '../lib/format';
import { sendFuzz, TrafficResult } from '../lib/fuzz-traffic';
import { GoodClient } from '../lib/good-client';
import type { ServerStats } from '../lib/ipc';
import { Rng } from '../lib/rng';
import type { ServerProcess } from '../lib/server-process';
import { until } from '../lib/time';

const PASSWD = 'stress-pw';
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2024) >>> 0;
const ROUNDS = 2;
/** After each round, heap used + buffers (after GC) must be within this of the baseline. */
const HELD_SLACK = 2 * 1024 * 1024;

const scale = (smoke: boolean): number => (smoke ? 50_000 : 1_000_000);

/** What the server holds for itself: the JS heap in use and Buffers. */
const held = (stats: ServerStats): number => stats.heapUsed + stats.arrayBuffers;

/** Waits for the fuzz connections to be gone, then measures after a GC. */
async function settle(server: ServerProcess, base: ServerStats): Promise<ServerStats> {
  await until(async () => (await server.stats()).clients === base.clients, 10_000);
  return server.stats(true);
}

/** Waits (up to 15 s) for V8 to give back the heap it grew; its memory reducer runs a few seconds after the load. */
async function shrunk(server: ServerProcess, base: ServerStats): Promise<ServerStats> {
  let stats = await server.stats(true);
  await until(async () => ((stats = await server.stats(true)), stats.heapTotal <= base.heapTotal * 1.5), 15_000, 1000);
  return stats;
}

/** Fuzz with every kind of bad input; with `wrap` false, no length sum passes 2^32. */
async function fuzz(ctx: CaseContext, wrap: boolean): Promise<CaseOutcome> {
  const found = new Findings();
  const total = scale(ctx.smoke);
  const server = await ctx.startServer({ passwd: PASSWD });
  const good = await GoodClient.connect(server.port, PASSWD);
  const base = await server.stats(true);
  const logBefore = server.logLines;
  await server.request('resetPeak', {});
  const rng = new Rng(SEED);
  const traffic: TrafficResult[] = [];
  const settled: ServerStats[] = [];
  let last: ServerStats | null = null;
  good.start(10);
  let ms = 0; // sending time, settling left out
  try {
    for (let round = 0; round < ROUNDS && !server.exit; round++) {
      const roundStart = performance.now();
      traffic.push(await sendFuzz(server, rng.fork(), { passwd: PASSWD, wrap }, Math.ceil(total / ROUNDS), [good.client.id]));
      ms += performance.now() - roundStart;
      ctx.progress(`round ${round + 1} of ${ROUNDS} sent`);
      if (!server.exit) settled.push(await settle(server, base));
    }
    if (!server.exit) last = await shrunk(server, base);
  } finally {
    await good.stop();
  }
  const sent = traffic.reduce((sum, t) => sum + t.tcp + t.udp, 0);
  const udp = traffic.reduce((sum, t) => sum + t.udp, 0);
  const connections: Record<string, number> = {};
  for (const t of traffic) for (const [key, n] of Object.entries(t.connections)) connections[key] = (connections[key] ?? 0) + n;
  const conns = Object.values(connections).reduce((a, b) => a + b, 0);
  found.note(`connections: ${tally(connections)}`);
  found.note(`seed 0x${SEED.toString(16)} (FUZZ_SEED to change it)`);

  if (server.exit || !last) {
    found.fail(`the server died after about ${count(sent)} packets`);
    return found.outcome(`server died after ~${count(sent)} packets over ${conns} connections`);
  }
  found.check(sent >= total, `only ${sent} of ${total} packets sent`);
  found.check(
    good.calls > 0 && good.failures.length === 0,
    `good client: ${good.failures.length} of ${good.calls} calls failed; first: ${good.failures[0]}`,
  );
  settled.forEach((stats, i) =>
    found.check(
      held(stats) - held(base) <= HELD_SLACK,
      `after round ${i + 1} the server holds ${dmb(held(stats) - held(base))} of heap + buffers over its baseline`,
    ),
  );
  found.check(
    tally(last.resources) === tally(base.resources),
    `handles/timers ${tally(last.resources)} after the fuzz; before ${tally(base.resources)}`,
  );
  found.note(
    `after GC, before → after each round: heap used ${[base, ...settled].map((s) => mb(s.heapUsed)).join(' → ')}, ` +
      `buffers ${[base, ...settled].map((s) => mb(s.arrayBuffers)).join(' → ')}, RSS ${[base, ...settled].map((s) => mb(s.rss)).join(' → ')}; ` +
      `RSS once V8 shrank its heap again: ${mb(last.rss)} (heap held ${mb(last.heapTotal)})`,
  );
  if (base.counters) found.note(`server counters moved: ${tally(moved(base.counters, last.counters))}`);
  found.note(`server log lines during the fuzz: ${server.logLines - logBefore}; longest event-loop stall ${msec(last.maxLoopDelay)}`);
  const figure =
    `${count(sent)} packets (${count(udp)} UDP) over ${conns} connections in ${secs(ms)} (${rate(sent, ms)}); ` +
    `good client ${good.calls - good.failures.length}/${good.calls} ok, slowest ${msec(good.slowest)}; ` +
    `heap + buffers back to baseline after each round; RSS ${mb(base.rss)} → peak ${mb(last.peakRss)} → ${mb(last.rss)} settled`;
  return found.outcome(figure);
}

export const fuzzCase: StressCase = {
  id: 'fuzz',
  title: (smoke) => `fuzz: ${count(scale(smoke))} random/mutated packets, TCP + UDP`,
  targets: ['ours', 'official'],
  timeout: 15 * 60_000,
  run: (ctx) => fuzz(ctx, true),
};

/** The official server dies on length sums past 2^32: this shows how it fares on the rest. */
export const fuzzNoWrapCase: StressCase = {
  id: 'fuzz-nowrap',
  title: (smoke) => `fuzz without 2^32 length wraps: ${count(scale(smoke))} packets`,
  targets: ['official'],
  timeout: 15 * 60_000,
  run: (ctx) => fuzz(ctx, false),
};
