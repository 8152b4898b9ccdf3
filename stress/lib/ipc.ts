/** Messages between the driver (run.ts) and a server process (server.ts, official-server.js). */

/** Which server implementation a case runs against. */
export type Target = 'ours' | 'official';

/** How the driver starts a server process (passed as JSON in argv[2]). */
export interface ServerConfig {
  host: string;
  /** 0 picks a free port. */
  port: number;
  passwd?: string;
  /** Serve TLS with this certificate and key (PEM); ours only. */
  tls?: { cert: string; key: string };
}

/** What a server process measures about itself. */
export interface ServerStats {
  rss: number;
  /** Highest RSS sampled since start or the last `resetPeak`. */
  peakRss: number;
  /** Longest event-loop stall since start or the last `resetPeak` (ms). */
  maxLoopDelay: number;
  heapUsed: number;
  /** Memory V8 holds for its heap (used or not). */
  heapTotal: number;
  /** Memory of Buffers and other ArrayBuffers (outside the JS heap). */
  arrayBuffers: number;
  /** `server.counters` (ours); null for the official server, which has none. */
  counters: Record<string, number> | null;
  /** Connections the server holds (ours: handshaken clients; official: all). */
  clients: number;
  /** `process.getActiveResourcesInfo()` counted by type. */
  resources: Record<string, number>;
  /** Datagrams delivered to the server's listener, by URL (only URLs under `/probe/`). */
  probes: Record<string, number>;
  /** All datagrams delivered to the server's listener. */
  datagrams: number;
}

export interface PublishResult {
  sent: number;
  ms: number;
}

/** Requests the driver sends, with their arguments and results. */
export interface ServerRequests {
  /** Measures; with `gc`, collects garbage first. */
  stats: { args: { gc: boolean }; result: ServerStats };
  resetPeak: { args: Record<string, never>; result: null };
  /** Publishes `count` messages (param `{ n }`, `size` bytes of data), at most `rate` bytes/s. */
  publish: { args: { url: string; count: number; size: number; rate: number }; result: PublishResult };
  /** Publishes `{ boot, n }` on `url` every `interval` ms (0 stops). */
  ticker: { args: { url: string; interval: number }; result: null };
}

export type RequestType = keyof ServerRequests;

/** One request on the wire: `{ id, type, args }` for any of the types above. */
export type RequestMessage = { [K in RequestType]: { id: number; type: K; args: ServerRequests[K]['args'] } }[RequestType];

export type ServerMessage =
  | { type: 'ready'; port: number; quickPort: number }
  | { type: 'reply'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: string };
