import type { Measurement, Scenario, Timing } from './scenarios';

/**
 * Keeps `inFlight` calls going for warm-up plus measure time; returns completed calls per second
 * in the measure window. A failed call stops the run with that error.
 */
export async function callsPerSecond(call: () => Promise<unknown>, inFlight: number, timing: Timing): Promise<number> {
  let counting = false;
  let stopped = false;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (!stopped) {
      await call();
      if (counting) done++;
    }
  };
  const workers = Array.from({ length: inFlight }, worker);
  await new Promise((resolve) => setTimeout(resolve, timing.warmup));
  counting = true;
  const start = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, timing.measure));
  counting = false;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  stopped = true;
  await Promise.all(workers);
  return done / seconds;
}

/** Seconds since `start` (from process.hrtime.bigint()). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Resolves once `check()` holds, polling each turn of the loop; rejects after `ms`. */
export function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setImmediate(poll);
    };
    poll();
  });
}

/** Resolves once `count()` has not changed for `quietMs` (for lossy quick traffic). */
export async function whenQuiet(count: () => number, quietMs: number): Promise<void> {
  let last = -1;
  while (count() !== last) {
    last = count();
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}

/**
 * The server's RSS after each of `checkpoints` calls (128 in flight): `call` makes one echo call,
 * `rss` asks the server for its RSS. Reports last / first and the figures.
 */
export async function rssGrowth(
  checkpoints: number[],
  call: () => Promise<unknown>,
  rss: () => Promise<number>,
): Promise<{ value: number; extra: string }> {
  const figures: number[] = [];
  let done = 0;
  for (const target of checkpoints) {
    await Promise.all(
      Array.from({ length: 128 }, async () => {
        while (done < target) {
          done++;
          await call();
        }
      }),
    );
    figures.push(await rss());
  }
  const mb = figures.map((r) => (r / 1024 / 1024).toFixed(0)).join(' → ');
  return { value: figures[figures.length - 1] / figures[0], extra: `${mb} MiB` };
}

/** Reads a stream to its end and checks its length; resolves with MiB/s since `start`. */
export async function streamRate(stream: NodeJS.ReadableStream, expected: number, start: bigint): Promise<number> {
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
  await new Promise((resolve, reject) => stream.once('end', resolve).once('error', reject));
  if (bytes !== expected) throw new Error(`stream carried ${bytes} of ${expected} bytes`);
  return bytes / 1024 / 1024 / secondsSince(start);
}

/**
 * Runs a publish scenario once its subscribers count into `counts`: `trigger` asks the server to
 * publish; resolves with deliveries per second (and, for quick publishes, the loss).
 */
export async function publishRate(
  scenario: Extract<Scenario, { kind: 'publish' }>,
  counts: number[],
  trigger: () => Promise<unknown>,
): Promise<Measurement> {
  const start = process.hrtime.bigint();
  await trigger();
  const total = (): number => counts.reduce((a, b) => a + b, 0);
  const expected = scenario.messages * scenario.subscribers;
  if (scenario.quick) await whenQuiet(total, 200);
  else await until(() => total() === expected, 120_000, 'publishes');
  const seconds = secondsSince(start) - (scenario.quick ? 0.2 : 0);
  const loss = 1 - total() / expected;
  return {
    id: scenario.id,
    value: total() / seconds,
    unit: 'msgs/s',
    extra: scenario.quick ? `loss ${(loss * 100).toFixed(1)}%` : undefined,
  };
}

/** Sends `messages` datagrams with `send`, then checks `count()` (the server's tally); resolves with datagrams per second. */
export async function datagramRate(
  scenario: Extract<Scenario, { kind: 'datagram' }>,
  send: () => void,
  count: () => Promise<number>,
): Promise<Measurement> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < scenario.messages; i++) {
    send();
    if (i % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
  }
  const counted = await count();
  if (counted !== scenario.messages) throw new Error(`server counted ${counted} of ${scenario.messages} datagrams`);
  return { id: scenario.id, value: counted / secondsSince(start), unit: 'msgs/s' };
}
