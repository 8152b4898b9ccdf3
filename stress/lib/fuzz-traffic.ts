/** Sends the fuzzer's traffic: TCP connections and UDP datagrams, until a packet budget is spent. */
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { Finale, FuzzGen, FuzzOptions, StreamKind } from './fuzz-gen';
import { RawConn } from './raw-conn';
import { Rng } from './rng';
import type { ServerProcess } from './server-process';
import { tick, within } from './time';

const TCP_WORKERS = 16;
/** Share of the packets sent over UDP. */
const UDP_SHARE = 0.15;
const UDP_BATCH = 32;
/** Packets joined into one write (before chunking). */
const BATCH = 64;
/** Piecewise writes between two loop turns (so that the driver never stalls its good client). */
const YIELD_EVERY = 16;
/** Bytes sent one at a time, a loop turn apart, on a "bytes" connection. */
const BYTE_BY_BYTE = 2048;
/** How long a connection waits for the server to close it after a breaking finale (ms). */
const SERVER_CLOSE_WAIT = 100;

type Chunking = 'whole' | 'random' | 'bytes';

export interface TrafficResult {
  tcp: number;
  udp: number;
  /** Connections by kind and by who closed them. */
  connections: Record<string, number>;
}

/** Counts packets sent against a total shared by the workers. */
class Budget {
  sent = 0;
  constructor(readonly total: number) {}
  get left(): number {
    return this.total - this.sent;
  }
}

const bump = (counts: Record<string, number>, key: string): void => void (counts[key] = (counts[key] ?? 0) + 1);

/** Writes `bytes` whole, in random pieces, or (the first few KiB) one byte per loop turn. */
async function writeChunked(conn: RawConn, bytes: Buffer, mode: Chunking, rng: Rng, sentBytes: { n: number }): Promise<void> {
  if (mode === 'whole') return conn.write(bytes);
  for (let at = 0, writes = 0; at < bytes.length && !conn.closed; writes++) {
    const single = mode === 'bytes' && sentBytes.n < BYTE_BY_BYTE;
    const size = single ? 1 : 1 + rng.int(rng.pick([8, 64, 1500, 16384]));
    await conn.write(bytes.subarray(at, at + size));
    at += size;
    sentBytes.n += size;
    if (single || writes % YIELD_EVERY === 0) await tick();
  }
}

/** One fuzz connection, from connect to close. */
async function fuzzConnection(
  server: ServerProcess,
  rng: Rng,
  gen: FuzzGen,
  budget: Budget,
  counts: Record<string, number>,
): Promise<void> {
  const kind = rng.weighted<StreamKind>([
    [70, 'session'],
    [22, 'pre-handshake'],
    [8, 'wrong-password'],
  ]);
  const finale = rng.weighted<Finale>([
    [35, 'end'],
    [10, 'destroy'],
    [15, 'truncated'],
    [25, 'mutated'],
    [10, 'vector'],
    [5, 'junk'],
  ]);
  const mode = rng.weighted<Chunking>([
    [40, 'whole'],
    [55, 'random'],
    [5, 'bytes'],
  ]);
  const conn = await RawConn.open(server.port, { parse: false });
  const sentBytes = { n: 0 };
  let batch: Buffer[] = [];
  const flush = async (): Promise<void> => {
    await writeChunked(conn, Buffer.concat(batch), mode, rng, sentBytes);
    batch = [];
    await tick(); // writes that complete at once would never let the loop run
  };
  for (const packet of gen.stream(kind, finale)) {
    if (conn.closed || budget.left <= 0 || server.exit) break;
    batch.push(packet);
    budget.sent++;
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  // After a breaking finale, give the server a moment to close first.
  if (finale !== 'end' && finale !== 'destroy') await within(conn.whenClosed, SERVER_CLOSE_WAIT, 'close').catch(() => undefined);
  if (finale === 'destroy') conn.destroy();
  else conn.end();
  await within(conn.whenClosed, 5000, 'close').catch(() => conn.destroy());
  bump(counts, `${kind} ${conn.closedHere ? 'closed by us' : 'closed by server'}`);
}

async function tcpWorker(
  server: ServerProcess,
  rng: Rng,
  options: FuzzOptions,
  budget: Budget,
  counts: Record<string, number>,
): Promise<void> {
  const gen = new FuzzGen(rng, options);
  while (budget.left > 0 && !server.exit) {
    try {
      await fuzzConnection(server, rng, gen, budget, counts);
    } catch (error) {
      bump(counts, `connect error: ${(error as Error).message}`);
    }
  }
}

function bindUdp(address: string): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.bind(0, address, () => resolve(socket)));
}

/** Sends datagrams until its budget is spent; a tenth of them from 127.0.0.2. */
async function udpWorker(server: ServerProcess, rng: Rng, options: FuzzOptions, budget: Budget, ids: readonly number[]): Promise<void> {
  const gen = new FuzzGen(rng, options);
  const [local, other] = await Promise.all([bindUdp('127.0.0.1'), bindUdp('127.0.0.2')]);
  try {
    while (budget.left > 0 && !server.exit) {
      const sends = Array.from(
        { length: Math.min(UDP_BATCH, budget.left) },
        () =>
          new Promise<void>((resolve) =>
            (rng.bool(0.1) ? other : local).send(gen.datagram(ids), server.quickPort, '127.0.0.1', () => resolve()),
          ),
      );
      budget.sent += sends.length;
      await Promise.all(sends);
      await tick(); // sends may complete at once, in a chain that would never let the loop run
    }
  } finally {
    local.close();
    other.close();
  }
}

/** Sends `total` packets (a share over UDP, claiming the client `ids`) and resolves when all is sent. */
export async function sendFuzz(
  server: ServerProcess,
  rng: Rng,
  options: FuzzOptions,
  total: number,
  ids: readonly number[],
): Promise<TrafficResult> {
  const tcp = new Budget(Math.round(Math.round(total) * (1 - UDP_SHARE)));
  const udp = new Budget(Math.round(total) - tcp.total);
  const connections: Record<string, number> = {};
  await Promise.all([
    ...Array.from({ length: TCP_WORKERS }, () => tcpWorker(server, rng.fork(), options, tcp, connections)),
    udpWorker(server, rng.fork(), options, udp, ids),
  ]);
  return { tcp: tcp.sent, udp: udp.sent, connections };
}
