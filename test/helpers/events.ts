import type { EventEmitter } from 'node:events';

/** Resolves with the arguments of the next `event` that passes `filter`; rejects after `ms`. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter | { on: EventEmitter['on']; off: EventEmitter['off'] },
  event: string,
  filter: (...args: T) => boolean = () => true,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (!filter(...(args as T))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as T);
    };
    // Listening first: an emitter that cannot be listened to rejects here, leaving no timer behind.
    emitter.on(event, listener);
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' event within ${ms} ms`));
    }, ms);
  });
}

/** Collects the arguments of every `event` until `until` returns true for one of them. */
export function collectUntil<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  until: (...args: T) => boolean,
  ms = 5000,
): Promise<T[]> {
  const seen: T[] = [];
  return nextEvent<T>(
    emitter,
    event,
    (...args) => {
      seen.push(args);
      return until(...args);
    },
    ms,
  ).then(() => seen);
}
