/**
 * The harness inside a server process: answers the driver's requests (stats, publish, ticker)
 * over IPC for any VSOA server implementation, through a small adapter.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { PublishResult, RequestMessage, ServerConfig, ServerMessage, ServerRequests, ServerStats } from './ipc';
import { sleep, tick } from './time';

/** What the harness needs from a VSOA server implementation. */
export interface ServerAdapter {
  publish(url: string, param: unknown, data: Buffer): void;
  /** The server's own counters, or null when it keeps none. */
  counters(): Record<string, number> | null;
  clients(): number;
}

/** RSS sampling period for the peak (ms). */
const SAMPLE_MS = 5;

/** The server process's configuration, passed by the driver as JSON in argv[2]. */
export function readConfig(): ServerConfig {
  return JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
}

function send(message: ServerMessage): void {
  process.send?.(message);
}

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

export class ServerHost {
  private peak = 0;
  private datagrams = 0;
  private readonly probes: Record<string, number> = {};
  private ticker: NodeJS.Timeout | null = null;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(private readonly adapter: ServerAdapter) {
    // stderr is opened lazily, on first use; open it now so that it is part of every baseline.
    void process.stderr.writable;
    this.peak = process.memoryUsage.rss();
    this.loopDelay.enable();
    setInterval(() => (this.peak = Math.max(this.peak, process.memoryUsage.rss())), SAMPLE_MS).unref();
    process.on('message', (message: RequestMessage) => void this.answer(message));
    // The driver is gone: so is the reason to live.
    process.on('disconnect', () => process.exit(0));
  }

  /** Counts a datagram the server delivered to its listener. */
  datagram(url: string): void {
    this.datagrams++;
    if (url.startsWith('/probe/')) this.probes[url] = (this.probes[url] ?? 0) + 1;
  }

  /** Tells the driver the server listens. */
  ready(port: number, quickPort: number): void {
    send({ type: 'ready', port, quickPort });
  }

  private async answer(message: RequestMessage): Promise<void> {
    try {
      send({ type: 'reply', id: message.id, result: await this.handle(message) });
    } catch (error) {
      send({ type: 'failed', id: message.id, error: String((error as Error)?.stack ?? error) });
    }
  }

  private handle(message: RequestMessage): Promise<unknown> | unknown {
    switch (message.type) {
      case 'stats':
        return this.stats(message.args.gc);
      case 'resetPeak':
        this.peak = process.memoryUsage.rss();
        this.loopDelay.reset();
        return null;
      case 'publish':
        return this.publish(message.args);
      case 'ticker':
        return this.startTicker(message.args);
    }
  }

  private stats(gc: boolean): ServerStats {
    const collect = (globalThis as { gc?: () => void }).gc;
    if (gc && collect) {
      collect();
      collect();
    }
    const memory = process.memoryUsage();
    this.peak = Math.max(this.peak, memory.rss);
    return {
      rss: memory.rss,
      peakRss: this.peak,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      maxLoopDelay: this.loopDelay.max / 1e6,
      arrayBuffers: memory.arrayBuffers,
      counters: this.adapter.counters(),
      clients: this.adapter.clients(),
      resources: countResources(),
      probes: { ...this.probes },
      datagrams: this.datagrams,
    };
  }

  /** Publishes at `rate` bytes/s (0: as fast as the loop turns), yielding between bursts. */
  private async publish(args: ServerRequests['publish']['args']): Promise<PublishResult> {
    const data = Buffer.alloc(args.size, 0x5a);
    const start = performance.now();
    let n = 0;
    while (n < args.count) {
      const due = args.rate > 0 ? Math.floor((((performance.now() - start) / 1000) * args.rate) / Math.max(1, args.size)) + 1 : n + 256;
      for (const end = Math.min(args.count, due); n < end; n++) this.adapter.publish(args.url, { n }, data);
      if (args.rate > 0) await sleep(2);
      else await tick();
    }
    return { sent: n, ms: performance.now() - start };
  }

  private startTicker(args: ServerRequests['ticker']['args']): null {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    let n = 0;
    const empty = Buffer.alloc(0);
    if (args.interval > 0)
      this.ticker = setInterval(() => this.adapter.publish(args.url, { boot: process.pid, n: n++ }, empty), args.interval);
    return null;
  }
}
