/** What the growth benchmark measures, at which sizes, and how hard it pushes. */

export const MEASUREMENTS = ['clients', 'commands', 'subscriptions', 'memory'] as const;
export type MeasurementName = (typeof MEASUREMENTS)[number];

export interface Sizes {
  clients: number[];
  commands: number[];
  subscriptions: number[];
  /** Idle clients for the memory figures. */
  idleClients: number;
  /** Length of a round of publishes (ms), and measured rounds (after one warm-up round). */
  roundMs: number;
  rounds: number;
  /** Calls to the prefix command before and during the measure window (ms). */
  warmupMs: number;
  measureMs: number;
}

export const FULL: Sizes = {
  clients: [10, 100, 1000, 3000, 10_000],
  commands: [10, 1000, 10_000],
  subscriptions: [0, 1000, 10_000],
  idleClients: 1000,
  roundMs: 300,
  rounds: 5,
  warmupMs: 500,
  measureMs: 2000,
};

export const QUICK: Sizes = {
  clients: [10, 100, 1000],
  commands: [10, 1000],
  subscriptions: [0, 1000],
  idleClients: 1000,
  roundMs: 100,
  rounds: 3,
  warmupMs: 200,
  measureMs: 700,
};

/** Subscribers of the target URL in the subscriptions measurement. */
export const FANOUT = 100;
/**
 * Publishes per timed batch (a pause follows each): to one subscriber, and to FANOUT, whose one
 * process reads a hundred messages per publish.
 */
export const BATCH_TO_ONE = 64;
export const BATCH_TO_FANOUT = 4;
/** Calls kept in flight to the prefix command: enough to keep the server busy. */
export const IN_FLIGHT = 16;
