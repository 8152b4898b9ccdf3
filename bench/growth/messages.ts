/** What the growth driver and its server and client processes say to each other (over IPC). */

/** The two servers measured side by side. */
export type GrowthImpl = 'ours' | 'official';

/** What a server process is started with (in GROWTH_JOB). */
export interface ServerJob {
  /** Unrelated prefix commands `/cmd/<i>/` registered before the called one. */
  commands: number;
}

/** The prefix command the caller calls, registered last (after the unrelated ones). */
export const CALLED_PREFIX = '/cmd/called/';
export const CALLED_URL = '/cmd/called/x';
export const TARGET_URL = '/target';

/** A kind of client a client process connects, with how many. */
export type Group =
  /** Connected, no subscriptions. */
  | { kind: 'idle'; clients: number }
  /** Client i subscribes to its own `/c/<i>`, i from `first`. */
  | { kind: 'own'; clients: number; first: number }
  /** Subscribes to TARGET_URL and counts what arrives. */
  | { kind: 'target'; clients: number }
  /** One client holding `subscriptions` prefix subscriptions `/p/<n>/`. */
  | { kind: 'prefixes'; subscriptions: number }
  /** One client keeping `inFlight` calls to CALLED_URL going until the process is stopped. */
  | { kind: 'caller'; inFlight: number };

export type ToServer =
  /** Time `rounds` rounds of publishes on TARGET_URL in batches of `batch`, each round at least `roundMs` long (plus one warm-up round). */
  | { type: 'publish'; batch: number; roundMs: number; rounds: number }
  /** Calls served so far, and CPU time used. */
  | { type: 'mark' }
  /** Memory after a full GC. */
  | { type: 'memory' };

export type FromServer =
  | { type: 'ready'; port: number; registerMs: number }
  /** µs per publish, one figure per measured round; publishes sent in all rounds (warm-up included). */
  | { type: 'published'; micros: number[]; sent: number }
  | { type: 'mark'; calls: number; cpuMicros: number; at: number }
  | { type: 'memory'; rss: number; heapUsed: number; clients: number }
  | { type: 'error'; message: string };

export type ToClients = { type: 'connect'; url: string; groups: Group[] } | { type: 'received' };

export type FromClients =
  /** How many clients connected (and subscribed); `error` when fewer than asked. */
  | { type: 'connected'; clients: number; error?: string }
  /** Messages received on TARGET_URL, by all the process's target clients. */
  | { type: 'received'; count: number }
  | { type: 'error'; message: string };
