/** The body of a growth server process, the same for both implementations: answers the driver. */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { fail } from '../child';
import { FromServer, ServerJob, TARGET_URL, ToServer } from './messages';

/** What each implementation's server offers the growth bench. */
export interface GrowthServer {
  port: number;
  /** ms spent registering the unrelated commands. */
  registerMs: number;
  publish(url: string, payload: { param: object }): void;
  /** Connected clients. */
  count(): number;
}

/** Starts a server with `job.commands` unrelated prefix commands, then CALLED_PREFIX, whose handler calls `onCall`. */
export type StartServer = (job: ServerJob, onCall: () => void) => Promise<GrowthServer>;

function tell(message: FromServer): void {
  process.send?.(message);
}

/**
 * µs per publish on TARGET_URL, for each of `rounds` rounds of at least `roundMs` (after one
 * warm-up round), and how many were published in all. Publishes go in batches of `batch`, each
 * followed by a pause so that the subscribers keep up: flooded, a server whose sockets are full
 * queues in memory instead of writing, and gets cheaper the slower its subscribers read. Only the
 * batches are timed: the publishes and the turn of the event loop that writes them out.
 */
async function timePublishes(server: GrowthServer, batch: number, roundMs: number, rounds: number): Promise<FromServer> {
  const payload = { param: { a: 1 } };
  const micros: number[] = [];
  let sent = 0;
  for (let round = 0; round <= rounds; round++) {
    const start = process.hrtime.bigint();
    let busy = 0n;
    let count = 0;
    do {
      const batchStart = process.hrtime.bigint();
      for (let i = 0; i < batch; i++) server.publish(TARGET_URL, payload);
      // Our server writes a turn's packets at the end of the turn: part of the cost.
      await nextTurn();
      busy += process.hrtime.bigint() - batchStart;
      count += batch;
      await sleep(1);
    } while (process.hrtime.bigint() - start < BigInt(roundMs) * 1_000_000n);
    if (round > 0) micros.push(Number(busy) / 1e3 / count);
    sent += count;
  }
  return { type: 'published', micros, sent };
}

/** RSS and heap in use after a full GC (the process runs with --expose-gc). */
function memory(server: GrowthServer): FromServer {
  if (!globalThis.gc) throw new Error('start the server with --expose-gc');
  globalThis.gc();
  globalThis.gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { type: 'memory', rss, heapUsed, clients: server.count() };
}

async function answer(server: GrowthServer, message: ToServer, calls: () => number): Promise<FromServer> {
  switch (message.type) {
    case 'publish':
      return timePublishes(server, message.batch, message.roundMs, message.rounds);
    case 'mark': {
      const { user, system } = process.cpuUsage();
      return { type: 'mark', calls: calls(), cpuMicros: user + system, at: performance.now() };
    }
    case 'memory':
      return memory(server);
  }
}

/** Starts the server from GROWTH_JOB, reports 'ready', then answers the driver's requests. */
export function serve(start: StartServer): void {
  const job = JSON.parse(process.env.GROWTH_JOB ?? '{}') as ServerJob;
  let calls = 0;
  start(job, () => calls++).then((server) => {
    process.on('message', (message: ToServer) => {
      answer(server, message, () => calls).then(tell, fail);
    });
    tell({ type: 'ready', port: server.port, registerMs: server.registerMs });
  }, fail);
}
