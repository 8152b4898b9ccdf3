/** 1000 concurrent clients: each handshakes with a password and makes one RPC. */
import { VsoaClient } from '@vsoa/core';
import { CaseContext, CaseOutcome, Findings, StressCase } from '../lib/case';
import { count, mb, secs } from '../lib/format';
import { openFileLimit } from '../lib/limits';
import { since, until } from '../lib/time';

const PASSWD = 'stress-pw';
/** Descriptors per client in this process (TCP + UDP), and spare ones for everything else. */
const FDS_PER_CLIENT = 2;
const SPARE_FDS = 100;

const scale = (smoke: boolean): number => (smoke ? 100 : 1000);

/** Connects one client, calls /echo once, and returns it (still open). */
async function connectAndCall(port: number, i: number): Promise<VsoaClient> {
  const client = new VsoaClient({ timeout: 30_000 });
  try {
    await client.connect(`vsoa://127.0.0.1:${port}`, { passwd: PASSWD, timeout: 30_000 });
    const reply = await client.fetch('/echo', { payload: { param: { i } } });
    if (reply.status !== 0 || (reply.payload.param as { i?: number } | undefined)?.i !== i) {
      throw new Error(`client ${i}: wrong reply (status ${reply.status})`);
    }
    return client;
  } catch (error) {
    await client.close();
    throw error;
  }
}

async function run(ctx: CaseContext): Promise<CaseOutcome> {
  const found = new Findings();
  const wanted = scale(ctx.smoke);
  const limit = openFileLimit();
  const fits = Math.floor((limit - SPARE_FDS) / FDS_PER_CLIENT);
  const n = Math.min(wanted, fits);
  if (n < wanted) found.fail(`ulimit -n is ${limit}: ${wanted} clients need about ${wanted * FDS_PER_CLIENT + SPARE_FDS}; ran ${n}`);
  const server = await ctx.startServer({ passwd: PASSWD });
  const before = await server.stats(true);

  const start = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => connectAndCall(server.port, i)));
  const wall = since(start);
  const clients = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [String((s.reason as Error).message)] : []));
  found.check(errors.length === 0, `${errors.length} of ${n} clients failed, first: ${errors[0]}`);

  const open = await server.stats(true);
  found.check(open.clients === clients.length, `server holds ${open.clients} clients, expected ${clients.length}`);
  await Promise.all(clients.map((client) => client.close()));
  const left = await until(async () => (await server.stats()).clients === 0, 10_000);
  found.check(left, 'server still holds clients 10 s after they all left');
  const after = await server.stats(true);

  const figure =
    `${clients.length}/${n} ok in ${secs(wall)}; server RSS ${mb(before.rss)} before, ` +
    `${mb(open.rss)} with all open, ${mb(after.rss)} after (ulimit -n ${limit})`;
  return found.outcome(figure);
}

export const clientsCase: StressCase = {
  id: 'clients',
  title: (smoke) => `${count(scale(smoke))} concurrent clients (password + 1 RPC)`,
  targets: ['ours', 'official'],
  timeout: 120_000,
  run,
};
