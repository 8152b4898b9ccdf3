/**
 * Restart: a robot client subscribed to a URL; the server is killed (SIGKILL) and restarted on the
 * same port. The client must be back, re-subscribed and receiving within 2 s, and every call made
 * meanwhile must fail at once with a clear error.
 */
import { VsoaClient, VsoaError } from '@vsoa/core';
import { CaseContext, CaseOutcome, Findings, StressCase } from '../lib/case';
import { msec, tally } from '../lib/format';
import type { ServerProcess } from '../lib/server-process';
import { sleep, until } from '../lib/time';

const PASSWD = 'stress-pw';
const TOPIC = '/tick';
const TICK_MS = 20;
/** How long the server stays down. */
const OUTAGE_MS = 1000;
/** Time allowed from the restarted server listening to the client receiving its publishes. */
const BACK_WITHIN = 2000;
/** A failed call must settle this fast (ms). */
const FAIL_WITHIN = 100;
const CALL_EVERY = 25;
/** Calls left in flight at each kill. */
const IN_FLIGHT = 5;

const scale = (smoke: boolean): number => (smoke ? 1 : 3);

interface Settled {
  ok: boolean;
  code: string;
  /** When it settled (`performance.now()`). */
  at: number;
  /** How long it took, from `from`. */
  ms: number;
}

/** Settles a call into what the case checks: how it ended and how long after `from`. */
async function settle(call: Promise<unknown>, from: number): Promise<Settled> {
  let code = 'OK';
  try {
    await call;
  } catch (error) {
    code = (error as VsoaError).code ?? (error as Error).message;
  }
  const at = performance.now();
  return { ok: code === 'OK', code, at, ms: at - from };
}

/** Watches publishes: the server's pid is in each, so a publish tells which server sent it. */
class TickWatch {
  private readonly seen = new Map<number, number>();

  constructor(client: VsoaClient) {
    client.on('message', (url, payload) => {
      const boot = (payload.param as { boot?: number } | undefined)?.boot;
      if (url === TOPIC && typeof boot === 'number' && !this.seen.has(boot)) this.seen.set(boot, performance.now());
    });
  }

  /** When the first publish from `server` arrived, once one has. */
  firstFrom(server: ServerProcess): number | undefined {
    return this.seen.get(server.pid);
  }
}

async function run(ctx: CaseContext): Promise<CaseOutcome> {
  const found = new Findings();
  let server = await ctx.startServer({ passwd: PASSWD });
  const port = server.port;
  const client = new VsoaClient({ timeout: 30_000 });
  const watch = new TickWatch(client);
  let connects = 0;
  client.on('connect', () => connects++);
  const backTimes: number[] = [];
  const outage: Settled[] = [];
  const inFlight: Settled[] = [];
  try {
    client.robot(`vsoa://127.0.0.1:${port}`, { passwd: PASSWD });
    if (!(await until(() => client.connected, 5000))) throw new Error('the robot did not connect');
    await client.subscribe(TOPIC);
    await server.request('ticker', { url: TOPIC, interval: TICK_MS });
    const first = server;
    if (!(await until(() => watch.firstFrom(first) !== undefined, 2000))) throw new Error('no publish before the first kill');

    for (let cycle = 0; cycle < scale(ctx.smoke); cycle++) {
      const killedAt = performance.now();
      const pending = Array.from({ length: IN_FLIGHT }, () => settle(client.fetch('/slow'), killedAt));
      await sleep(20); // let them reach the server
      await server.kill('SIGKILL');
      const deadAt = performance.now();
      const calls: Array<Promise<Settled>> = [];
      while (performance.now() - killedAt < OUTAGE_MS) {
        calls.push(settle(client.fetch('/echo', { payload: { param: { cycle } } }), performance.now()));
        await sleep(CALL_EVERY);
      }
      server = await ctx.startServer({ passwd: PASSWD, port });
      const readyAt = performance.now();
      await server.request('ticker', { url: TOPIC, interval: TICK_MS });
      const current = server;
      const back = await until(() => watch.firstFrom(current) !== undefined, BACK_WITHIN + 3000, 5);
      const backMs = (watch.firstFrom(current) ?? Infinity) - readyAt;
      found.check(
        back && backMs <= BACK_WITHIN,
        `restart ${cycle + 1}: publishes ${back ? `only after ${msec(backMs)}` : 'never'} came back`,
      );
      backTimes.push(backMs);
      // In flight at the kill: timed from the moment the process was gone.
      inFlight.push(...(await Promise.all(pending)).map((s) => ({ ...s, ms: Math.max(0, s.at - deadAt) })));
      outage.push(...(await Promise.all(calls)));
    }
    const reply = await client.fetch('/echo', { timeout: 2000 });
    found.check(reply.status === 0, 'a call after the last restart failed');
  } finally {
    await client.close();
  }

  const codes = (list: Settled[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const s of list) out[s.code] = (out[s.code] ?? 0) + 1;
    return out;
  };
  const slowest = (list: Settled[]): number => Math.max(0, ...list.map((s) => s.ms));
  found.check(
    inFlight.every((s) => s.code === 'CLOSED'),
    `calls in flight at the kill ended ${tally(codes(inFlight))}, expected CLOSED`,
  );
  found.check(
    outage.every((s) => !s.ok && (s.code === 'NOT_CONNECTED' || s.code === 'CLOSED')),
    `calls during the outage ended ${tally(codes(outage))}, expected NOT_CONNECTED or CLOSED`,
  );
  found.check(slowest(inFlight) <= FAIL_WITHIN, `a call in flight at the kill took ${msec(slowest(inFlight))} to fail`);
  found.check(slowest(outage) <= FAIL_WITHIN, `a call during the outage took ${msec(slowest(outage))} to fail`);
  found.note(`robot connects: ${connects}; publishes back after ${backTimes.map(msec).join(', ')}`);
  const figure =
    `${backTimes.length} restarts: receiving again ${msec(Math.max(...backTimes))} (max) after the server listened; ` +
    `${outage.length + inFlight.length} calls during outages failed in ≤ ${msec(Math.max(slowest(outage), slowest(inFlight)))} (${tally(codes([...inFlight, ...outage]))})`;
  return found.outcome(figure);
}

export const restartCase: StressCase = {
  id: 'restart',
  title: (smoke) => `server killed (SIGKILL) and restarted ×${scale(smoke)}, robot client`,
  targets: ['ours', 'official'],
  timeout: 60_000,
  run,
};
