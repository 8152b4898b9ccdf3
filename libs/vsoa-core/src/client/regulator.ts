import { urlMatches } from '../url';
import type { VsoaPayload } from '../protocol/payload';

type Deliver = (url: string, payload: VsoaPayload, quick: boolean) => void;

interface Regulation {
  timer: NodeJS.Timeout;
  /** The latest message per URL since the last tick. */
  latest: Map<string, { payload: VsoaPayload; quick: boolean }>;
}

/**
 * Slows publishes down to a fixed rate: for URLs under a regulated pattern only the latest
 * message per URL is kept, and handed on once per interval. For a sensor that publishes far
 * faster than a display needs (the Go package's "regulator").
 */
export class Regulator {
  private readonly regulations = new Map<string, Regulation>();

  constructor(private readonly deliver: Deliver) {}

  /** Regulates `pattern` (exact, or a prefix ending in `/`) to one message per URL per `interval` ms. */
  add(pattern: string, interval: number): void {
    this.remove(pattern);
    const regulation: Regulation = {
      latest: new Map(),
      timer: setInterval(() => this.tick(regulation), interval),
    };
    regulation.timer.unref();
    this.regulations.set(pattern, regulation);
  }

  /** Stops regulating `pattern`; what it held back is dropped. Returns whether it was regulated. */
  remove(pattern: string): boolean {
    const regulation = this.regulations.get(pattern);
    if (!regulation) return false;
    clearInterval(regulation.timer);
    this.regulations.delete(pattern);
    return true;
  }

  /** Takes a message if a regulated pattern covers its URL (true), else leaves it to the caller. */
  offer(url: string, payload: VsoaPayload, quick: boolean): boolean {
    if (this.regulations.size === 0) return false;
    for (const [pattern, regulation] of this.regulations) {
      if (urlMatches(pattern, url)) {
        regulation.latest.set(url, { payload, quick });
        return true;
      }
    }
    return false;
  }

  /** Stops every regulation. */
  clear(): void {
    for (const pattern of [...this.regulations.keys()]) this.remove(pattern);
  }

  private tick(regulation: Regulation): void {
    if (regulation.latest.size === 0) return;
    const latest = regulation.latest;
    regulation.latest = new Map();
    for (const [url, { payload, quick }] of latest) this.deliver(url, payload, quick);
  }
}
