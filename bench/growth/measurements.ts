/** The four growth measurements: each runs one size against a fresh server process. */
import { setTimeout as sleep } from 'node:timers/promises';
import { formatValue, median } from '../stats';
import type { GrowthImpl, Group, ServerJob } from './messages';
import { BATCH_TO_FANOUT, BATCH_TO_ONE, FANOUT, IN_FLIGHT, Sizes } from './plan';
import { ClientsChild, openFileLimit, ServerChild, startClients, startServer } from './processes';
import type { Figures } from './report';

/** Each of our clients holds a TCP and a UDP socket; a process keeps a few files of its own. */
const FDS_PER_CLIENT = 2;
const FDS_RESERVED = 64;
const CONNECT_MS = 10 * 60_000;
const PUBLISH_MS = 10 * 60_000;

export const fdLimit = openFileLimit();
/** Clients one client process can hold within the open-file limit. */
export const clientsPerProcess = Math.floor((fdLimit - FDS_RESERVED) / FDS_PER_CLIENT);

interface Session {
  server: ServerChild;
  url: string;
  registerMs: number;
  /** A new client process, killed with the session. */
  spawn(): ClientsChild;
}

/** Runs `body` against a fresh server process; kills it and every client process after. */
async function session(impl: GrowthImpl, job: ServerJob, body: (s: Session) => Promise<void>): Promise<void> {
  const { server, port, registerMs } = await startServer(impl, job);
  const children: ClientsChild[] = [];
  try {
    await body({
      server,
      url: `vsoa://127.0.0.1:${port}`,
      registerMs,
      spawn: () => {
        const child = startClients();
        children.push(child);
        return child;
      },
    });
  } finally {
    for (const child of children) child.kill();
    server.kill();
  }
}

/** Connects `groups` from `child`; resolves with how many clients got through (and why not all). */
function connect(child: ClientsChild, url: string, groups: Group[]): Promise<{ clients: number; error?: string }> {
  return child.ask({ type: 'connect', url, groups }, 'connected', CONNECT_MS);
}

/** Connects `groups` from `child`, all of them or it throws (for the clients a measurement cannot do without). */
async function connectAll(child: ClientsChild, url: string, groups: Group[]): Promise<void> {
  const { error } = await connect(child, url, groups);
  if (error !== undefined) throw new Error(error);
}

/** Waits until `child`'s target subscribers have received `expected` messages (or 30 s); notes what arrived. */
async function checkReceived(child: ClientsChild, expected: number, figures: Figures, key: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  const ask = async (): Promise<number> => (await child.ask({ type: 'received' }, 'received', 10_000)).count;
  let count = await ask();
  while (count < expected && Date.now() < deadline) {
    await sleep(100);
    count = await ask();
  }
  const received = `${formatValue(count, '')}/${formatValue(expected, '')}`;
  figures.note(key, received);
  // The last run's count is shown; a shortfall in any run stays in the notes.
  if (count !== expected) figures.note(`${key}|why`, `received ${received}`);
}

/** 1. µs per publish to one subscriber, with `n` other clients connected, each subscribed to its own URL. */
export async function publishVsClients(impl: GrowthImpl, n: number, sizes: Sizes, figures: Figures): Promise<void> {
  const key = `clients|${impl}|${n}`;
  if (n + FDS_RESERVED > fdLimit) return figures.note(`${key}|why`, `not reached: ulimit -n is ${fdLimit}`);
  await session(impl, { commands: 0 }, async ({ server, url, spawn }) => {
    const groups: Group[] = [];
    for (let first = 0; first < n; first += clientsPerProcess)
      groups.push({ kind: 'own', clients: Math.min(clientsPerProcess, n - first), first });
    const answers = await Promise.all(groups.map((group) => connect(spawn(), url, [group])));
    const reached = answers.reduce((sum, a) => sum + a.clients, 0);
    if (reached < n) return figures.note(`${key}|why`, `reached ${reached} of ${n}: ${answers.find((a) => a.error)?.error}`);
    const target = spawn();
    await connectAll(target, url, [{ kind: 'target', clients: 1 }]);
    const job = { type: 'publish' as const, batch: BATCH_TO_ONE, roundMs: sizes.roundMs, rounds: sizes.rounds };
    const { micros, sent } = await server.ask(job, 'published', PUBLISH_MS);
    figures.add(key, median(micros));
    await checkReceived(target, sent, figures, key);
  });
}

/** 2. Calls to one prefix command with `m` unrelated prefix commands registered: rate and server CPU per call. */
export async function callsVsCommands(impl: GrowthImpl, m: number, sizes: Sizes, figures: Figures): Promise<void> {
  await session(impl, { commands: m }, async ({ server, url, registerMs, spawn }) => {
    figures.add(`register|${impl}|${m}`, registerMs);
    await connectAll(spawn(), url, [{ kind: 'caller', inFlight: IN_FLIGHT }]);
    await sleep(sizes.warmupMs);
    const before = await server.ask({ type: 'mark' }, 'mark', 10_000);
    await sleep(sizes.measureMs);
    const after = await server.ask({ type: 'mark' }, 'mark', 10_000);
    const calls = after.calls - before.calls;
    if (calls === 0) throw new Error('no call was served');
    figures.add(`calls|${impl}|${m}`, calls / ((after.at - before.at) / 1000));
    figures.add(`cpu|${impl}|${m}`, (after.cpuMicros - before.cpuMicros) / calls);
  });
}

/** 3. µs per publish to FANOUT subscribers while one other client holds `s` prefix subscriptions. */
export async function publishVsSubscriptions(impl: GrowthImpl, s: number, sizes: Sizes, figures: Figures): Promise<void> {
  const key = `subscriptions|${impl}|${s}`;
  await session(impl, { commands: 0 }, async ({ server, url, spawn }) => {
    const holder = await connect(spawn(), url, [s > 0 ? { kind: 'prefixes', subscriptions: s } : { kind: 'idle', clients: 1 }]);
    if (holder.error) return figures.note(`${key}|why`, `not reached: ${holder.error}`);
    const subscribers = spawn();
    await connectAll(subscribers, url, [{ kind: 'target', clients: FANOUT }]);
    const job = { type: 'publish' as const, batch: BATCH_TO_FANOUT, roundMs: sizes.roundMs, rounds: sizes.rounds };
    const { micros, sent } = await server.ask(job, 'published', PUBLISH_MS);
    figures.add(key, median(micros));
    await checkReceived(subscribers, sent * FANOUT, figures, key);
  });
}

/** 4. Server RSS and heap in use per idle connection: `n` clients, after a warm-up few, measured after a GC. */
export async function memoryPerClient(impl: GrowthImpl, n: number, figures: Figures): Promise<void> {
  await session(impl, { commands: 0 }, async ({ server, url, spawn }) => {
    const clients = spawn();
    // The first connections pay one-time costs (code, buffers); the baseline comes after them.
    await connect(clients, url, [{ kind: 'idle', clients: 10 }]);
    const before = await server.ask({ type: 'memory' }, 'memory', 30_000);
    const { clients: reached, error } = await connect(clients, url, [{ kind: 'idle', clients: n }]);
    if (reached < n) return figures.note(`memory|${impl}|${n}|why`, `reached ${reached} of ${n}: ${error}`);
    const after = await server.ask({ type: 'memory' }, 'memory', 30_000);
    if (after.clients - before.clients !== n) throw new Error(`${impl}: ${after.clients - before.clients} of ${n} clients connected`);
    figures.add(`rss|${impl}|${n}`, (after.rss - before.rss) / n);
    figures.add(`heap|${impl}|${n}`, (after.heapUsed - before.heapUsed) / n);
  });
}
