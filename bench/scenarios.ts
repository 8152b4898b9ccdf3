/** What the driver asks of a client process, and what it answers. Shared by every process. */

/** The implementations measured side by side. */
export type Impl = 'ours' | 'official' | 'raw' | 'nest-vsoa' | 'nest-tcp';

export type Scenario =
  | { kind: 'rpc'; id: string; inFlight: number; dataBytes: number }
  | { kind: 'publish'; id: string; subscribers: number; quick: boolean; messages: number }
  | { kind: 'datagram'; id: string; messages: number }
  | { kind: 'stream'; id: string; bytes: number }
  | { kind: 'rss'; id: string; calls: number[] };

/** One measurement. `value` is in `unit`; `extra` holds e.g. the loss of quick publishes. */
export interface Measurement {
  id: string;
  value: number;
  unit: string;
  extra?: string;
}

/** Messages between the driver and its child processes (over IPC). */
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'result'; measurement: Measurement }
  | { type: 'done'; maxRss: number }
  | { type: 'error'; message: string };

export type DriverMessage = { type: 'stats' };

/** Timing of the RPC runs (ms), scaled down in quick mode. */
export interface Timing {
  warmup: number;
  measure: number;
}

export const ONE_KIB = Buffer.alloc(1024, 7);
export const SIXTY_FOUR_KIB = Buffer.alloc(64 * 1024, 7);

export function dataOf(bytes: number): Buffer | undefined {
  if (bytes === 0) return undefined;
  return bytes === 1024 ? ONE_KIB : bytes === 64 * 1024 ? SIXTY_FOUR_KIB : Buffer.alloc(bytes, 7);
}

/** The scenarios each implementation runs; a scenario missing from an implementation is skipped. */
export function scenariosFor(impl: Impl, quick: boolean): Scenario[] {
  const rpc: Scenario[] = [];
  for (const dataBytes of [0, 1024, 64 * 1024]) {
    for (const inFlight of [1, 16, 128]) {
      const size = dataBytes === 0 ? '{"a":1}' : dataBytes === 1024 ? '1KiB' : '64KiB';
      rpc.push({ kind: 'rpc', id: `rpc ${inFlight === 1 ? 'seq' : `x${inFlight}`} ${size}`, inFlight, dataBytes });
    }
  }
  const messages = quick ? 20_000 : 200_000;
  const streamBytes = quick ? 32 * 1024 * 1024 : 256 * 1024 * 1024;
  switch (impl) {
    case 'ours':
    case 'official':
      return [
        ...rpc,
        { kind: 'publish', id: 'publish to 1', subscribers: 1, quick: false, messages },
        { kind: 'publish', id: 'publish to 10', subscribers: 10, quick: false, messages: messages / 4 },
        { kind: 'publish', id: 'publish quick to 1', subscribers: 1, quick: true, messages: messages / 4 },
        { kind: 'datagram', id: 'datagram c→s', messages },
        { kind: 'stream', id: 'stream', bytes: streamBytes },
        ...(quick ? [] : [{ kind: 'rss' as const, id: 'rss 100k→1M calls', calls: [100_000, 1_000_000] }]),
      ];
    case 'raw':
      return [...rpc.filter((s) => s.kind === 'rpc' && s.dataBytes === 0), { kind: 'stream', id: 'stream', bytes: streamBytes }];
    case 'nest-vsoa':
    case 'nest-tcp':
      return rpc.filter((s) => s.kind === 'rpc' && s.dataBytes === 0).map((s) => ({ ...s, id: `nest ${s.id}` }));
  }
}
