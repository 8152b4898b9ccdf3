import type { Timing } from './scenarios';

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
