/**
 * Bad input against a live VsoaServer, from raw `net` sockets and raw `dgram` UDP on 127.0.0.1.
 *
 * Every case proves three things: the server stays up (nothing throws, no unhandled 'error'),
 * only the offending connection is closed (raw "bystander" connections, one connection that never
 * handshakes, and a well-behaved VsoaClient all stay up), and the well-behaved client keeps getting
 * correct /echo replies while the bad input arrives (an echo loop runs during every case) and after.
 *
 * The fuzz section checks the server against a small reference model of the wire protocol written
 * here (framing per /work/shared/vsoa-protocol.md, handshake and reply rules per the server's
 * documented behaviour): the model predicts, for each byte stream, whether the server must close the
 * connection (and after which byte), which replies it sends, and how its counters move.
 *
 * Reproduce a fuzz failure with the seed in the describe name: FUZZ_SEED=<seed> npx jest test/bad-input
 *
 * No sleeps: every wait is on an event (reply, 'close', server event) with a bounded timeout.
 */
import { createHash } from 'node:crypto';
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createConnection, Socket } from 'node:net';
import {
  encodePacket,
  Flag,
  HEADER_LENGTH,
  MAX_PACKET_LENGTH,
  MAX_PARAM_DEPTH,
  MAX_QUICK_PACKET_LENGTH,
  PacketParser,
  PacketType,
  VSOA_MAGIC,
  VsoaClient,
  VsoaServer,
} from '@vsoa/core';
import type { PacketFields, VsoaLogger, VsoaPacket, VsoaServerCounters } from '@vsoa/core';
// The seeded generator and the raw header builder are shared with the stress suite.
import { Rng } from '../../stress/lib/rng';
import { header } from '../../stress/lib/wire';

const HOST = '127.0.0.1';
const CAP = MAX_PACKET_LENGTH; // 256 KiB, header and pad included
const PASSWD = 's3cret';
/** Bound on any single wait; the suite never waits on time, only on events. */
const WAIT_MS = 4000;
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2024) >>> 0;

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Lets the event loop run one round (so that the server reads what was just written). Not a sleep. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const hash = (b: Buffer): string => createHash('sha1').update(b).digest('hex').slice(0, 10);

const pkt = (fields: PacketFields): Buffer => encodePacket(fields);
const ping = (seqno: number): Buffer => pkt({ type: PacketType.PINGECHO, seqno });
const rpc = (seqno: number, url: string, param?: string | Buffer, data?: Buffer, flags = 0): Buffer =>
  pkt({ type: PacketType.RPC, flags, seqno, url, param: typeof param === 'string' ? Buffer.from(param) : param, data });

/** The 24-byte packet from the protocol reference whose length sum wraps to 24 in 32 bits. */
const WRAP24 = Buffer.from(['29', '01', '00', '00', '00000001', '0000', '0004', '00000000', 'fffffffc', '2f2f2f2f'].join(''), 'hex');

let seqCounter = 0x1000;
const nextSeq = (): number => ++seqCounter;

// ---------------------------------------------------------------------------------------------
// Raw TCP client
// ---------------------------------------------------------------------------------------------

const openConns = new Set<RawConn>();
/** Bystander and idle connections: kept for the whole file. */
const keptConns = new Set<RawConn>();

/** A raw TCP connection that parses what the server sends with our PacketParser. */
class RawConn {
  readonly received: VsoaPacket[] = [];
  private cursor = 0;
  private wake: (() => void) | null = null;
  closed = false;
  /** Set when this side ended or destroyed the connection first. */
  closedLocally = false;
  parseError: Error | null = null;
  readonly whenClosed: Promise<void>;
  id = -1;

  private constructor(readonly socket: Socket) {
    openConns.add(this);
    const parser = new PacketParser(
      (p) => {
        // Copy: parsed packets are views into the received chunk.
        this.received.push({ ...p, param: Buffer.from(p.param), data: Buffer.from(p.data) });
        this.notify();
      },
      (error) => {
        this.parseError = error;
        this.notify();
      },
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => parser.push(chunk));
    // ECONNRESET / EPIPE when the server drops us are expected here.
    socket.on('error', () => undefined);
    this.whenClosed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        openConns.delete(this);
        this.notify();
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<RawConn> {
    const socket = createConnection({ host: HOST, port });
    const conn = new RawConn(socket);
    await within(once(socket, 'connect'), WAIT_MS, 'TCP connect');
    return conn;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Writes if the socket is still writable (the server may have dropped us). */
  write(bytes: Buffer): void {
    if (!this.closed && this.socket.writable && bytes.length > 0) this.socket.write(bytes);
  }

  /**
   * Writes `bytes` in chunks, letting the event loop run between chunks so that the server really
   * reads them piecewise. 'bytes' = one byte per write for the first 8 KiB, then random sizes (so
   * that a long zero filler does not take ages).
   */
  async writeChunked(bytes: Buffer, mode: 'whole' | 'random' | 'bytes', rng = new Rng(1)): Promise<void> {
    if (mode === 'whole') return this.write(bytes);
    const sizes = [1, 2, 3, 5, 7, 19, 20, 21, 40, 64, 333, 1500, 4096, 65536];
    for (let at = 0; at < bytes.length && !this.closed;) {
      const size = mode === 'bytes' && at < 8192 ? 1 : rng.pick(sizes);
      this.write(bytes.subarray(at, at + size));
      at += size;
      await tick();
    }
  }

  /** The next packet from the server, in order. Rejects when the connection closes first. */
  async next(what: string, ms = WAIT_MS): Promise<VsoaPacket> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.cursor < this.received.length) return this.received[this.cursor++];
      if (this.parseError) throw new Error(`server sent bytes our parser rejects: ${this.parseError.message}`);
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      await within(new Promise<void>((resolve) => (this.wake = resolve)), Math.max(1, deadline - Date.now()), what);
    }
  }

  /** Packets received and not yet taken by next(). */
  unread(): VsoaPacket[] {
    const rest = this.received.slice(this.cursor);
    this.cursor = this.received.length;
    return rest;
  }

  async handshake(passwd = '', seqno = nextSeq()): Promise<number> {
    this.write(pkt({ type: PacketType.SERVINFO, seqno, param: Buffer.from(JSON.stringify({ passwd })) }));
    const reply = await this.next('handshake reply');
    expect(sig(reply)).toBe(`00/1/${seqno}/0/id4`);
    this.id = reply.data.readUInt32BE(0);
    return this.id;
  }

  /** PINGECHO round trip; the reply must be the very next packet. */
  async ping(seqno = nextSeq()): Promise<void> {
    this.write(ping(seqno));
    const reply = await this.next(`PINGECHO reply ${seqno}`);
    expect(sig(reply)).toBe(`ff/1/${seqno}/0`);
  }

  /** Waits for the server to close this connection (without this side closing it). */
  async serverCloses(what: string, ms = WAIT_MS): Promise<void> {
    await within(this.whenClosed, ms, `server to close the connection (${what})`);
    expect(this.closedLocally).toBe(false);
  }

  /** Half-closes this side and waits until the server has closed its side too. */
  async end(): Promise<void> {
    this.closedLocally = true;
    this.socket.end();
    await within(this.whenClosed, WAIT_MS, 'close after end()');
  }

  destroy(): void {
    this.closedLocally = true;
    this.socket.destroy();
  }
}

/** A compact, comparable description of a packet the server sent. */
function sig(p: VsoaPacket): string {
  const base = `${p.type.toString(16).padStart(2, '0')}/${p.flags}/${p.seqno}/${p.status}`;
  if (p.type === PacketType.SERVINFO && p.status === 0) return `${base}/id${p.data.length}`;
  return p.data.length > 0 ? `${base}/d${p.data.length}:${hash(p.data)}` : base;
}

// ---------------------------------------------------------------------------------------------
// Test rig: one server, its well-behaved client and bystanders
// ---------------------------------------------------------------------------------------------

interface Rig {
  name: string;
  passwd: string;
  server: VsoaServer;
  port: number;
  good: VsoaClient;
  /** Handshaken raw connections that only ever ping. */
  bystanders: RawConn[];
  /** A raw connection that connected and never handshakes: it must survive too. */
  idle: RawConn;
  protectedIds: Set<number>;
  /** Ids of connected clients that left, in order. */
  left: number[];
  tcpDatagrams: number;
  quickDatagrams: string[];
  warnings: string[];
  /** server.count when no test connection is open. */
  baseline: number;
}

async function makeRig(name: string, passwd: string): Promise<Rig> {
  const warnings: string[] = [];
  const logger: VsoaLogger = { debug: () => undefined, warn: (m) => void warnings.push(m) };
  // A long handshake timeout: the idle bystander must not be closed by it, and a close seen in a
  // test can only come from what the test sent.
  const server = new VsoaServer({ info: { name }, passwd, handshakeTimeout: 120_000, logger });
  server.command('/echo', (cli, req, payload) => {
    cli.reply(req.seqno, payload);
  });
  await server.listen({ host: HOST, port: 0 });
  const port = server.address()!.port;
  const rig: Rig = {
    name,
    passwd,
    server,
    port,
    good: new VsoaClient({ timeout: WAIT_MS }),
    bystanders: [],
    idle: null as unknown as RawConn,
    protectedIds: new Set(),
    left: [],
    tcpDatagrams: 0,
    quickDatagrams: [],
    warnings,
    baseline: 0,
  };
  server.on('client', (cli, connected) => {
    if (!connected) rig.left.push(cli.id);
  });
  server.on('datagram', (_cli, url, _payload, quick) => {
    if (quick) rig.quickDatagrams.push(url);
    else rig.tcpDatagrams++;
  });
  await rig.good.connect(`vsoa://${HOST}:${port}`, { passwd });
  rig.protectedIds.add(rig.good.id);
  for (let i = 0; i < 3; i++) {
    const conn = await RawConn.open(port);
    rig.protectedIds.add(await conn.handshake(passwd));
    rig.bystanders.push(conn);
    keptConns.add(conn);
  }
  rig.idle = await RawConn.open(port);
  keptConns.add(rig.idle);
  rig.baseline = server.count;
  expect(rig.baseline).toBe(4);
  return rig;
}

/** Resolves once `cond()` holds, re-checked on every server 'client' / 'datagram' event. */
async function untilServer(rig: Rig, cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  if (cond()) return;
  let check = (): void => undefined;
  try {
    await within(
      new Promise<void>((resolve) => {
        check = () => {
          if (cond()) resolve();
        };
        rig.server.on('client', check);
        rig.server.on('datagram', check);
      }),
      ms,
      what,
    );
  } finally {
    rig.server.off('client', check);
    rig.server.off('datagram', check);
  }
}

let echoCounter = 0;

async function echoOnce(client: VsoaClient): Promise<void> {
  const n = ++echoCounter;
  const data = Buffer.from(`echo-${n}-\u00e9`);
  const reply = await client.fetch('/echo', { method: 'SET', payload: { param: { n, s: 'x'.repeat(n % 50) }, data } });
  expect(reply.status).toBe(0);
  expect(reply.payload.param).toEqual({ n, s: 'x'.repeat(n % 50) });
  expect(reply.payload.data).toEqual(data);
}

/** The well-behaved client calling /echo in a loop while bad input arrives. */
class EchoLoop {
  ok = 0;
  readonly failures: string[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly client: VsoaClient) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await echoOnce(this.client);
        this.ok++;
      } catch (error) {
        this.failures.push(String((error as Error)?.message ?? error));
        return;
      }
    }
  }

  async finish(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Runs `body` with an echo loop on each rig's good client, then checks the loops. */
async function underLoad<T>(rigs: Rig[], body: () => Promise<T>): Promise<T> {
  const loops = rigs.map((rig) => new EchoLoop(rig.good));
  let result: T;
  try {
    result = await body();
  } finally {
    await Promise.all(loops.map((loop) => loop.finish()));
  }
  for (const loop of loops) {
    expect(loop.failures).toEqual([]);
    expect(loop.ok).toBeGreaterThan(0);
  }
  return result;
}

/** Everyone who behaved is still connected and served; the server still listens. */
async function checkAlive(rig: Rig): Promise<void> {
  await untilServer(rig, () => rig.server.count === rig.baseline, `${rig.name}: count back to ${rig.baseline}`);
  expect(rig.left.filter((id) => rig.protectedIds.has(id))).toEqual([]);
  for (const conn of rig.bystanders) {
    expect(conn.closed).toBe(false);
    await conn.ping();
    expect(conn.unread().map(sig)).toEqual([]);
  }
  expect(rig.idle.closed).toBe(false);
  expect(rig.idle.received).toEqual([]);
  expect(rig.good.connected).toBe(true);
  await echoOnce(rig.good);
  expect(rig.server.address()).not.toBeNull();
  expect(
    rig.server
      .clients()
      .map((c) => c.id)
      .sort(),
  ).toEqual([...rig.protectedIds].sort());
}

type Counts = Partial<Record<keyof VsoaServerCounters, number>>;
const snap = (rig: Rig): VsoaServerCounters => ({ ...rig.server.counters });
/** Counters that moved since `before` (connections excluded: every test opens some). */
function moved(rig: Rig, before: VsoaServerCounters): Counts {
  const out: Counts = {};
  for (const key of Object.keys(before) as Array<keyof VsoaServerCounters>) {
    if (key === 'connections') continue;
    const d = rig.server.counters[key] - before[key];
    if (d !== 0) out[key] = d;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reference model of the server, for the fuzz
// ---------------------------------------------------------------------------------------------

interface SimStart {
  handshaken: boolean;
  passwd: string;
}

interface SimResult {
  /** open: every byte was consumed; framing: bad magic / oversize header; refused: handshake refused. */
  outcome: 'open' | 'framing' | 'refused';
  /** Bytes of the stream the server reads before it closes (the whole stream when open). */
  cut: number;
  /** When open: bytes still missing to complete the last packet (0 at a packet boundary). */
  need: number;
  /** Signatures (see sig()) of the replies the server sends, in order. */
  replies: string[];
  packets: number;
  framing: number;
  violations: number;
  passwordRefused: number;
  badParams: number;
  datagrams: number;
  handshaken: boolean;
}

const isValidUrl = (u: string): boolean => u.length > 0 && u.charCodeAt(0) === 0x2f;
const BAD = Symbol('bad json');
function parseJson(bytes: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return BAD;
  }
  // The server also refuses valid JSON nested deeper than MAX_PARAM_DEPTH.
  return nesting(value) > MAX_PARAM_DEPTH ? BAD : value;
}

/** How deep arrays and objects nest in a parsed value (iterative: values may be very deep). */
function nesting(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** What the server must do with `stream` on one TCP connection. */
function simulate(stream: Buffer, start: SimStart): SimResult {
  const r: SimResult = {
    outcome: 'open',
    cut: stream.length,
    need: 0,
    replies: [],
    packets: 0,
    framing: 0,
    violations: 0,
    passwordRefused: 0,
    badParams: 0,
    datagrams: 0,
    handshaken: start.handshaken,
  };
  const reply = (type: number, seqno: number, status: number, tail = ''): void => {
    r.replies.push(`${type.toString(16).padStart(2, '0')}/1/${seqno}/${status}${tail}`);
  };
  let off = 0;
  while (off < stream.length) {
    const left = stream.length - off;
    if (left < HEADER_LENGTH) {
      r.need = HEADER_LENGTH - left;
      return r;
    }
    const urlLen = stream.readUInt16BE(off + 10);
    const paramLen = stream.readUInt32BE(off + 12);
    const dataLen = stream.readUInt32BE(off + 16);
    const total = HEADER_LENGTH + urlLen + paramLen + dataLen + (stream[off + 2] >>> 6); // no 32-bit wrap
    if (stream[off] !== VSOA_MAGIC || total > CAP) {
      r.outcome = 'framing';
      r.framing++;
      r.cut = off + HEADER_LENGTH;
      return r;
    }
    if (left < total) {
      r.need = total - left;
      return r;
    }
    const type = stream[off + 1];
    const flags = stream[off + 2] & 0x3f;
    const seqno = stream.readUInt32BE(off + 4);
    const u0 = off + HEADER_LENGTH;
    const url = urlLen === 0 ? '' : stream.toString('utf8', u0, u0 + urlLen);
    const param = stream.subarray(u0 + urlLen, u0 + urlLen + paramLen);
    const data = stream.subarray(u0 + urlLen + paramLen, u0 + urlLen + paramLen + dataLen);
    off += total;
    r.packets++;
    const refuse = (): SimResult => {
      reply(type, seqno, 1);
      r.outcome = 'refused';
      r.cut = off;
      return r;
    };
    const handshake = (): boolean => {
      if (start.passwd) {
        const p = param.length === 0 ? undefined : parseJson(param);
        const given = p !== null && typeof p === 'object' ? (p as { passwd?: unknown }).passwd : undefined;
        if (given !== start.passwd) {
          r.passwordRefused++;
          return false;
        }
      }
      r.handshaken = true;
      reply(PacketType.SERVINFO, seqno, 0, '/id4');
      return true;
    };
    if (!r.handshaken) {
      if (type !== PacketType.SERVINFO || flags & Flag.REPLY) {
        r.violations++;
        return refuse();
      }
      if (!handshake()) return refuse();
      continue;
    }
    if (flags & Flag.REPLY) continue;
    switch (type) {
      case PacketType.SERVINFO:
        if (!handshake()) return refuse();
        break;
      case PacketType.RPC:
        if (!isValidUrl(url)) reply(type, seqno, 2);
        else if (url !== '/echo') reply(type, seqno, 3);
        else if (param.length > 0 && parseJson(param) === BAD) {
          r.badParams++;
          reply(type, seqno, 2);
        } else reply(type, seqno, 0, data.length > 0 ? `/d${data.length}:${hash(data)}` : '');
        break;
      case PacketType.SUBSCRIBE:
      case PacketType.UNSUBSCRIBE: {
        let ok: boolean;
        if (url.length > 0) ok = isValidUrl(url);
        else if (param.length === 0) ok = type === PacketType.UNSUBSCRIBE;
        else {
          const list = parseJson(param);
          ok = Array.isArray(list) && list.length > 0 && list.every((u) => typeof u === 'string' && isValidUrl(u));
        }
        reply(type, seqno, ok ? 0 : 2);
        break;
      }
      case PacketType.DATAGRAM:
        if (!isValidUrl(url)) break;
        if (param.length > 0 && parseJson(param) === BAD) r.badParams++;
        else r.datagrams++;
        break;
      case PacketType.PINGECHO:
        reply(type, seqno, 0);
        break;
      default:
        break; // PUBLISH, QOSSETUP, NOOP and unknown types: ignored
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Fuzz generators
// ---------------------------------------------------------------------------------------------

const URLS = ['/echo', '/echo', '/echo', '/echo', '', '/', '/a', '/a/', 'echo', '/nope', '/echo/', '/\u00e9t\u00e9', '/' + 'x'.repeat(300)];
const PARAMS = [
  '',
  '',
  '{}',
  '{"a":1}',
  '[1,2]',
  '["/a/","/b"]',
  '["/a",5]',
  '"/a"',
  '42',
  'null',
  '{"passwd":"nope"}',
  `{"passwd":"${PASSWD}"}`,
  '{',
  'garbage',
  '[1,]',
  '{"a":}',
  'NaN',
  "'x'",
];
const TYPES = [
  PacketType.RPC,
  PacketType.RPC,
  PacketType.RPC,
  PacketType.RPC,
  PacketType.SUBSCRIBE,
  PacketType.SUBSCRIBE,
  PacketType.UNSUBSCRIBE,
  PacketType.DATAGRAM,
  PacketType.DATAGRAM,
  PacketType.PINGECHO,
  PacketType.PINGECHO,
  PacketType.SERVINFO,
  PacketType.PUBLISH,
  PacketType.QOSSETUP,
  PacketType.NOOP,
  -1, // any byte
  -1,
];

/** Random packet fields; a SERVINFO carries `passwd` (when given) most of the time. */
function randomFields(rng: Rng, maxData: number, passwd = ''): PacketFields {
  const t = rng.pick(TYPES);
  const dataSizes = [0, 0, 0, 1, 2, 3, 4, 17, 100, 1000, 4096, 60000].filter((n) => n <= maxData);
  const goodPasswd = passwd !== '' && t === PacketType.SERVINFO && rng.bool(0.95);
  return {
    type: t < 0 ? rng.int(256) : t,
    flags: (rng.bool(0.1) ? Flag.REPLY : 0) | (rng.bool(0.3) ? Flag.SET : 0) | (rng.bool(0.2) ? Flag.TUNNEL : 0),
    status: rng.bool(0.2) ? rng.int(256) : 0,
    seqno: rng.u32(),
    tunid: rng.int(0x10000),
    url: rng.bool(0.1) ? rng.bytes(rng.int(12)).toString('latin1') : rng.pick(URLS),
    param: goodPasswd ? Buffer.from(JSON.stringify({ passwd })) : rng.bool(0.15) ? rng.bytes(rng.int(40)) : Buffer.from(rng.pick(PARAMS)),
    data: rng.bytes(rng.pick(dataSizes)),
  };
}

/** Mutations that keep the packet's framing: type, flags bits 0-5, status, seqno, tunid, body, pad. */
function mutateBenign(rng: Rng, buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  const pad = out[2] >>> 6;
  const bodyEnd = out.length - pad;
  for (let n = 1 + rng.int(3); n > 0; n--) {
    switch (rng.int(6)) {
      case 0:
        out[1] = rng.int(256);
        break;
      case 1:
        out[2] = (out[2] & 0xc0) | rng.int(64);
        break;
      case 2:
        out[3] = rng.int(256);
        break;
      case 3:
        out[4 + rng.int(6)] = rng.int(256);
        break;
      case 4:
        if (bodyEnd > HEADER_LENGTH) {
          const at = HEADER_LENGTH + rng.int(bodyEnd - HEADER_LENGTH);
          out[at] = rng.bool() ? rng.int(256) : out[at] ^ (1 << rng.int(8));
        }
        break;
      default:
        for (let i = bodyEnd; i < out.length; i++) out[i] = rng.int(256); // non-zero pad, as seen on the wire
    }
  }
  return out;
}

/** Mutations that may break framing: magic, length fields, pad bits, truncation, splices. */
function mutateBreaking(rng: Rng, buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  const len32 = (): number =>
    rng.pick([0, 1, 3, rng.int(64), CAP - 20, CAP - 19, CAP, 0x40000000, 0x7fffffff, 0xfffffffc, 0xffffffff, rng.u32()]);
  switch (rng.int(9)) {
    case 0:
      out[0] = rng.int(256);
      return out;
    case 1:
      out.writeUInt16BE(rng.pick([0, 1, 0xffff, rng.int(0x10000), (out.readUInt16BE(10) + 1) & 0xffff]), 10);
      return out;
    case 2:
      out.writeUInt32BE(len32() >>> 0, 12);
      return out;
    case 3:
      out.writeUInt32BE(len32() >>> 0, 16);
      return out;
    case 4:
      out[2] = (out[2] & 0x3f) | (rng.int(4) << 6);
      return out;
    case 5:
      return out.subarray(0, rng.int(out.length));
    case 6:
      return Buffer.concat([out, rng.bytes(1 + rng.int(64))]);
    case 7: {
      // 32-bit wrap-around: url + param + data + 20 == 24 (mod 2^32)
      const url = out.readUInt16BE(10);
      out.writeUInt32BE(0, 12);
      out.writeUInt32BE((4 - url + 0x100000000) >>> 0, 16);
      out[2] &= 0x3f;
      return out;
    }
    default:
      return Buffer.concat([out.subarray(0, 20), rng.bytes(rng.int(30))]);
  }
}

type Chunking = 'whole' | 'random' | 'bytes';
interface FuzzPlan {
  label: string;
  handshakeFirst: boolean;
  stream: Buffer;
  chunking: Chunking;
  rng: Rng;
}

function planStream(rng: Rng, mode: 'clean' | 'doomed' | 'soup' | 'pre', count: number, maxData: number, passwd: string): Buffer {
  const parts: Buffer[] = [];
  if (mode === 'soup') {
    if (rng.bool(0.3)) for (let i = rng.int(5); i > 0; i--) parts.push(encodePacket(randomFields(rng, maxData, passwd)));
    const soup = rng.bytes(1 + rng.int(4000));
    if (rng.bool(0.5)) soup[0] = VSOA_MAGIC;
    parts.push(soup);
    return Buffer.concat(parts);
  }
  for (let i = 0; i < count; i++) {
    let fields = randomFields(rng, maxData, passwd);
    if (mode === 'pre' && i === 0 && rng.bool(0.5)) {
      fields = { ...randomFields(rng, maxData, passwd), type: PacketType.SERVINFO, flags: fields.flags! & ~Flag.REPLY };
      if (passwd && rng.bool(0.6)) fields.param = Buffer.from(JSON.stringify({ passwd }));
    }
    let bytes = encodePacket(fields);
    if (rng.bool(0.4)) bytes = mutateBenign(rng, bytes);
    if (mode === 'doomed' && rng.bool(0.04)) bytes = mutateBreaking(rng, bytes);
    if (mode === 'pre' && i === 0 && rng.bool(0.3)) bytes = mutateBreaking(rng, bytes);
    parts.push(bytes);
  }
  return Buffer.concat(parts);
}

interface Tally {
  conns: number;
  packets: number;
  framing: number;
  violations: number;
  passwordRefused: number;
  badParams: number;
  datagrams: number;
  outcomes: Record<string, number>;
}

const FINAL_PING = 0xc0ffee;

async function runFuzzConn(rig: Rig, plan: FuzzPlan, tally: Tally): Promise<void> {
  const conn = await RawConn.open(rig.port);
  if (plan.handshakeFirst) await conn.handshake(rig.passwd);
  const start = { handshaken: plan.handshakeFirst, passwd: rig.passwd };
  // Complete a trailing partial packet with zeros, then end with a PINGECHO: if the server keeps
  // the connection, its reply to that ping proves it (and that it read everything before).
  let stream = plan.stream;
  let sim = simulate(stream, start);
  while (sim.outcome === 'open' && sim.need > 0) {
    stream = Buffer.concat([stream, Buffer.alloc(sim.need)]);
    sim = simulate(stream, start);
  }
  if (sim.outcome === 'open') {
    stream = Buffer.concat([stream, ping(FINAL_PING)]);
    sim = simulate(stream, start);
  }
  // Send only what the server must read before it acts: never more than the offending header.
  await conn.writeChunked(stream.subarray(0, sim.cut), plan.chunking, plan.rng);
  const where = `${rig.name} ${plan.label} (${sim.outcome} after ${sim.cut} bytes, ${sim.packets} packets)`;
  if (sim.outcome === 'open') {
    const got: string[] = [];
    for (let i = 0; i < sim.replies.length; i++) got.push(sig(await conn.next(`${where}: reply ${i + 1}/${sim.replies.length}`)));
    expect({ where, replies: got }).toEqual({ where, replies: sim.replies });
    expect(conn.closed).toBe(false);
    await conn.end();
  } else {
    await conn.serverCloses(where);
    const got = conn.unread().map(sig);
    if (sim.outcome === 'refused') {
      expect({ where, replies: got }).toEqual({ where, replies: sim.replies });
    } else {
      // A protocol error drops the connection at once: replies still queued may be lost, but
      // nothing else may appear.
      expect({ where, replies: got }).toEqual({ where, replies: sim.replies.slice(0, got.length) });
    }
  }
  expect(conn.parseError).toBeNull();
  tally.conns++;
  tally.packets += sim.packets;
  tally.framing += sim.framing;
  tally.violations += sim.violations;
  tally.passwordRefused += sim.passwordRefused;
  tally.badParams += sim.badParams;
  tally.datagrams += sim.datagrams;
  tally.outcomes[sim.outcome] = (tally.outcomes[sim.outcome] ?? 0) + 1;
}

async function runPlans(rig: Rig, plans: FuzzPlan[], parallel: number): Promise<Tally> {
  const tally: Tally = { conns: 0, packets: 0, framing: 0, violations: 0, passwordRefused: 0, badParams: 0, datagrams: 0, outcomes: {} };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plans.length) await runFuzzConn(rig, plans[next++], tally);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return tally;
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

describe('VsoaServer under bad input (raw TCP and UDP)', () => {
  let plain: Rig; // no password
  let secured: Rig; // password set
  const udpSockets: UdpSocket[] = [];

  beforeAll(async () => {
    plain = await makeRig('plain', '');
    secured = await makeRig('secured', PASSWD);
  });

  // A failing test must not leave its connections behind for the next one to trip over.
  afterEach(async () => {
    for (const conn of [...openConns]) if (!keptConns.has(conn)) conn.destroy();
    for (const rig of [plain, secured]) {
      if (rig) await untilServer(rig, () => rig.server.count === rig.baseline, `${rig.name}: cleanup after the test`);
    }
  });

  afterAll(async () => {
    for (const conn of [...openConns]) conn.destroy();
    for (const udp of udpSockets) udp.close();
    for (const rig of [plain, secured]) {
      if (!rig) continue;
      await rig.good.close();
      await rig.server.close();
    }
  });

  /** A fresh raw connection, handshaken when asked. */
  async function raw(rig: Rig, handshaken: boolean): Promise<RawConn> {
    const conn = await RawConn.open(rig.port);
    if (handshaken) await conn.handshake(rig.passwd);
    return conn;
  }

  /** Closes a handshaken connection of ours and waits until the server has seen it leave. */
  async function leave(rig: Rig, conn: RawConn): Promise<void> {
    await conn.end();
    await untilServer(rig, () => rig.left.includes(conn.id), `server to see client ${conn.id} leave`);
  }

  describe('wrong magic byte', () => {
    const magics = [0x00, 0x09, 0x19, 0x28, 0x2a, 0x39, 0x92, 0xa9, 0xff];

    test.each([false, true])('closes the connection and nothing else (handshaken first: %s)', async (handshaken) => {
      for (const rig of [plain, secured]) {
        const before = snap(rig);
        await underLoad([rig], async () => {
          for (const magic of magics) {
            const conn = await raw(rig, handshaken);
            conn.write(Buffer.concat([Buffer.from([magic]), ping(1).subarray(1)]));
            await conn.serverCloses(`magic 0x${magic.toString(16)}`);
            expect(conn.unread()).toEqual([]);
          }
        });
        expect(moved(rig, before)).toEqual({ protocolErrors: magics.length, closedForProtocol: magics.length });
        await checkAlive(rig);
      }
    });

    test('bad magic arriving one byte at a time, and right behind a valid packet in the same chunk', async () => {
      const rig = plain;
      const before = snap(rig);
      await underLoad([rig], async () => {
        const a = await raw(rig, true);
        await a.writeChunked(header({ magic: 0x30, type: PacketType.PINGECHO }), 'bytes');
        await a.serverCloses('bad magic in 1-byte chunks');

        const b = await raw(rig, true);
        b.write(Buffer.concat([ping(2), ping(3).fill(0x55, 0, 1)]));
        await b.serverCloses('bad magic after a valid PINGECHO');
        // The valid ping's reply may or may not make it out before the drop; nothing else may.
        const got = b.unread().map(sig);
        expect(got).toEqual(['ff/1/2/0'].slice(0, got.length));

        const c = await raw(rig, false);
        await c.writeChunked(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'bytes');
        await c.serverCloses('bad magic before the handshake, 1-byte chunks');
        expect(c.received).toEqual([]);
      });
      expect(moved(rig, before)).toEqual({ protocolErrors: 3, closedForProtocol: 3 });
      await checkAlive(rig);
    });
  });

  describe('truncated packets followed by close', () => {
    const truncations: Array<[string, Buffer]> = [
      ['1 header byte', Buffer.from([VSOA_MAGIC])],
      ['19 header bytes', rpc(5, '/echo', '{"a":1}').subarray(0, 19)],
      ['header of a 120-byte RPC, no body', header({ type: PacketType.RPC, urlLen: 5, dataLen: 95 })],
      [
        'valid RPC minus its last byte',
        (() => {
          const p = rpc(6, '/echo', '{"a":1}', Buffer.from([1, 2, 3, 4]));
          return p.subarray(0, p.length - 1);
        })(),
      ],
      ['half of a 200 KiB RPC', rpc(7, '/echo', undefined, Buffer.alloc(200 * 1024, 7)).subarray(0, 100 * 1024)],
      ['a cap-sized header (accepted) with no body', header({ type: PacketType.NOOP, dataLen: CAP - 20 })],
    ];

    test.each([
      { when: 'before the handshake', handshaken: false, how: 'end' },
      { when: 'before the handshake', handshaken: false, how: 'reset' },
      { when: 'after the handshake', handshaken: true, how: 'end' },
      { when: 'after the handshake', handshaken: true, how: 'reset' },
    ] as const)('$when, then closed by $how: no protocol error, the server closes its side', async ({ handshaken, how }) => {
      for (const rig of [plain, secured]) {
        const before = snap(rig);
        await underLoad([rig], async () => {
          for (const [what, bytes] of truncations) {
            const conn = await raw(rig, handshaken);
            await conn.writeChunked(bytes, 'whole');
            await tick();
            if (how === 'end') {
              // end() resolves only once the server has closed its side as well.
              await conn.end();
            } else {
              conn.socket.resetAndDestroy();
              conn.closedLocally = true;
              await within(conn.whenClosed, WAIT_MS, `local close (${what})`);
            }
            if (handshaken) await untilServer(rig, () => rig.left.includes(conn.id), `server to drop ${what}`);
            expect({ what, got: conn.unread().map(sig) }).toEqual({ what, got: [] });
          }
        });
        expect(moved(rig, before)).toEqual({});
        await checkAlive(rig);
      }
    });
  });

  describe('declared length over the 256 KiB cap', () => {
    const oversize: Array<[string, Buffer]> = [
      ['param length 1 GiB', header({ type: PacketType.RPC, paramLen: 1 << 30 })],
      ['data length 1 GiB', header({ type: PacketType.SERVINFO, dataLen: 1 << 30 })],
      ['total cap+1 (param)', header({ type: PacketType.RPC, paramLen: CAP + 1 - 20 })],
      ['total cap+1 (url 65535 + data)', header({ type: PacketType.RPC, urlLen: 0xffff, dataLen: CAP + 1 - 20 - 0xffff })],
      ['total cap+1 through the pad bits', header({ type: PacketType.NOOP, flags: 1 << 6, dataLen: CAP - 20 })],
      ['data length 0xffffffff', header({ type: PacketType.PINGECHO, dataLen: 0xffffffff })],
      [
        'all lengths maxed, pad 3',
        header({ type: PacketType.RPC, flags: 0xc0, urlLen: 0xffff, paramLen: 0xffffffff, dataLen: 0xffffffff }),
      ],
      ['param+data wrap to 20 in 32 bits', header({ type: PacketType.SERVINFO, paramLen: 0x80000000, dataLen: 0x80000000 })],
      ['url+param wrap to 20 in 32 bits', header({ type: PacketType.RPC, urlLen: 0xffff, paramLen: 0xffff0001 })],
    ];

    test.each([false, true])('only the 20-byte header is sent and the server closes at once (handshaken first: %s)', async (handshaken) => {
      for (const rig of [plain, secured]) {
        const before = snap(rig);
        await underLoad([rig], async () => {
          for (const [what, bytes] of oversize) {
            const conn = await raw(rig, handshaken);
            const sentBefore = conn.socket.bytesWritten;
            conn.write(bytes);
            await conn.serverCloses(what, 2000);
            expect({ what, sent: conn.socket.bytesWritten - sentBefore }).toEqual({ what, sent: 20 });
            expect({ what, got: conn.unread().map(sig) }).toEqual({ what, got: [] });
          }
        });
        expect(moved(rig, before)).toEqual({ protocolErrors: oversize.length, closedForProtocol: oversize.length });
        await checkAlive(rig);
      }
    });

    test('an oversize header split into 1-byte chunks, and one behind valid packets in the same chunk', async () => {
      const rig = plain;
      const before = snap(rig);
      await underLoad([rig], async () => {
        const a = await raw(rig, false);
        await a.writeChunked(header({ type: PacketType.RPC, paramLen: 1 << 30 }), 'bytes');
        await a.serverCloses('1 GiB header in 1-byte chunks', 2000);

        const b = await raw(rig, true);
        b.write(Buffer.concat([ping(10), rpc(11, '/echo', '{}'), header({ type: PacketType.RPC, dataLen: CAP })]));
        await b.serverCloses('oversize header behind valid packets', 2000);
        const got = b.unread().map(sig);
        expect(got).toEqual(['ff/1/10/0', '01/1/11/0'].slice(0, got.length));
      });
      expect(moved(rig, before)).toEqual({ protocolErrors: 2, closedForProtocol: 2 });
      await checkAlive(rig);
    });

    test('exactly the cap is accepted, before and after the handshake', async () => {
      const rig = plain;
      const before = snap(rig);
      await underLoad([rig], async () => {
        // Before the handshake: a SERVINFO of exactly CAP bytes (param is '{' + spaces + '}').
        const a = await raw(rig, false);
        const param = Buffer.alloc(CAP - 20, 0x20);
        param[0] = 0x7b;
        param[param.length - 1] = 0x7d;
        const hello = pkt({ type: PacketType.SERVINFO, seqno: 77, param });
        expect(hello.length).toBe(CAP);
        await a.writeChunked(hello, 'random', new Rng(SEED));
        expect(sig(await a.next('cap-sized handshake reply'))).toBe('00/1/77/0/id4');
        a.id = a.received[0].data.readUInt32BE(0);

        // After it: a NOOP of exactly CAP bytes, then an /echo of exactly CAP bytes.
        const noop = pkt({ type: PacketType.NOOP, data: Buffer.alloc(CAP - 20, 1) });
        expect(noop.length).toBe(CAP);
        const data = Buffer.alloc(CAP - 28, 9);
        const echo = rpc(78, '/echo', undefined, data);
        expect(echo.length).toBe(CAP);
        a.write(Buffer.concat([noop, echo]));
        expect(sig(await a.next('cap-sized echo reply'))).toBe(`01/1/78/0/d${data.length}:${hash(data)}`);
        await a.ping();
        await leave(rig, a);
      });
      expect(moved(rig, before)).toEqual({});
      await checkAlive(rig);
    });
  });

  describe('the 24-byte length-wrapping packet (29 01 … 0004 00000000 fffffffc 2f2f2f2f)', () => {
    test.each([
      ['before any handshake', false],
      ['after the handshake', true],
    ])('%s: that connection is closed with no reply, the server is fine', async (_when, handshaken) => {
      expect(WRAP24.length).toBe(24);
      expect(WRAP24.toString('hex')).toBe('29010000000000010000000400000000fffffffc2f2f2f2f');
      for (const rig of [plain, secured]) {
        const before = snap(rig);
        await underLoad([rig], async () => {
          const a = await raw(rig, handshaken);
          a.write(WRAP24);
          await a.serverCloses(`${rig.name}: 24-byte wrapping packet`, 2000);
          // Taken as a complete packet it would be answered (status 1 before the handshake):
          // there must be no reply at all.
          expect(a.unread()).toEqual([]);

          const b = await raw(rig, handshaken);
          await b.writeChunked(WRAP24, 'bytes');
          await b.serverCloses(`${rig.name}: 24-byte wrapping packet in 1-byte chunks`, 2000);
          expect(b.unread()).toEqual([]);

          // Several connections at once.
          const many = await Promise.all(Array.from({ length: 8 }, () => raw(rig, handshaken)));
          for (const c of many) c.write(WRAP24);
          await Promise.all(many.map((c) => c.serverCloses(`${rig.name}: concurrent wrapping packets`, 2000)));
        });
        expect(moved(rig, before)).toEqual({ protocolErrors: 10, closedForProtocol: 10 });
        await checkAlive(rig);
      }
    });
  });

  describe('handshake violations', () => {
    const firsts: Array<[string, Buffer, string]> = [
      ['RPC /echo', rpc(21, '/echo', '{"a":1}'), '01/1/21/1'],
      ['RPC with garbage JSON', rpc(22, '/echo', '{{{'), '01/1/22/1'],
      ['PINGECHO', ping(23), 'ff/1/23/1'],
      ['NOOP', pkt({ type: PacketType.NOOP, seqno: 24 }), 'fe/1/24/1'],
      ['unknown type 0x77', pkt({ type: 0x77, seqno: 25, url: '/x' }), '77/1/25/1'],
      [
        'SERVINFO with the REPLY flag',
        pkt({ type: PacketType.SERVINFO, flags: Flag.REPLY, seqno: 26, param: Buffer.from('{}') }),
        '00/1/26/1',
      ],
      ['SUBSCRIBE', pkt({ type: PacketType.SUBSCRIBE, seqno: 27, url: '/a' }), '02/1/27/1'],
    ];

    test('a first packet that is not SERVINFO: status 1 reply of the same type and seqno, then close', async () => {
      for (const rig of [plain, secured]) {
        const before = snap(rig);
        await underLoad([rig], async () => {
          for (const [what, bytes, expected] of firsts) {
            const conn = await raw(rig, false);
            // Valid packets right behind it in the same chunk must be ignored.
            conn.write(
              Buffer.concat([
                bytes,
                ping(99),
                pkt({ type: PacketType.SERVINFO, seqno: 98, param: Buffer.from(`{"passwd":"${rig.passwd}"}`) }),
              ]),
            );
            await conn.serverCloses(what);
            expect({ what, got: conn.unread().map(sig) }).toEqual({ what, got: [expected] });
          }
        });
        expect(moved(rig, before)).toEqual({ protocolErrors: firsts.length, closedForProtocol: firsts.length });
        await checkAlive(rig);
      }
    });

    test('wrong or garbage password: status 1, close, counted as passwordRefused', async () => {
      const rig = secured;
      const params = [
        '',
        '{}',
        '{"passwd":"nope"}',
        '{"passwd":null}',
        '["s3cret"]',
        '"s3cret"',
        '{"passwd":',
        '\u00ff\u00fe',
        `{"passwd":"${PASSWD} "}`,
      ];
      const before = snap(rig);
      await underLoad([rig], async () => {
        for (const param of params) {
          const conn = await raw(rig, false);
          conn.write(pkt({ type: PacketType.SERVINFO, seqno: 31, param: Buffer.from(param, 'latin1') }));
          await conn.serverCloses(`password param ${JSON.stringify(param)}`);
          expect(conn.unread().map(sig)).toEqual(['00/1/31/1']);
        }
        // A re-handshake with a wrong password after a good one also ends that connection.
        const conn = await raw(rig, true);
        conn.write(pkt({ type: PacketType.SERVINFO, seqno: 32, param: Buffer.from('{"passwd":"nope"}') }));
        await conn.serverCloses('re-handshake with a wrong password');
        expect(conn.unread().map(sig)).toEqual(['00/1/32/1']);
      });
      expect(moved(rig, before)).toEqual({ passwordRefused: params.length + 1 });
      await checkAlive(rig);
    });

    // The counters' documentation (types.ts): protocolErrors counts "bad magic, oversize, handshake
    // violations"; closedForProtocol counts "connections closed because of a protocol error". A
    // connection whose first packet is not SERVINFO is closed because of such a protocol error.
    // (Regression: this path used to count protocolErrors only.)
    test('a connection closed for a handshake violation counts in closedForProtocol', async () => {
      const rig = plain;
      const before = snap(rig);
      await underLoad([rig], async () => {
        const conn = await raw(rig, false);
        conn.write(ping(41));
        await conn.serverCloses('PINGECHO before the handshake');
      });
      expect(moved(rig, before)).toEqual({ protocolErrors: 1, closedForProtocol: 1 });
      await checkAlive(rig);
    });
  });

  describe('garbage JSON params in RPC after a valid handshake', () => {
    const garbage: Array<string | Buffer> = [
      '{',
      '}',
      '{"a":1',
      '{"a":}',
      "{'a':1}",
      'undefined',
      'NaN',
      'Infinity',
      '[1,]',
      '{"a":1,}',
      'nul',
      'tru',
      '"unterminated',
      '01',
      '+1',
      '.5',
      '0x10',
      '/* c */ 1',
      '{"a":1}{"b":2}',
      'garbage',
      '\u0000',
      '\ufeff{}',
      '['.repeat(100_000),
      Buffer.from([0xff, 0xfe, 0xfd]),
      Buffer.from([0xc0, 0x80]),
    ];

    test('each is answered ARGUMENTS (2), counted in badParams, and the connection stays open', async () => {
      for (const rig of [plain, secured]) {
        const before = snap(rig);
        await underLoad([rig], async () => {
          const conn = await raw(rig, true);
          for (const param of garbage) {
            const seqno = nextSeq();
            const data = Buffer.from([1, 2, 3]);
            conn.write(rpc(seqno, '/echo', param, data, Flag.SET));
            const what = `param ${JSON.stringify(String(param).slice(0, 20))}`;
            expect({ what, got: sig(await conn.next(what)) }).toEqual({ what, got: `01/1/${seqno}/2` });
            // The following valid RPC on the same connection is served normally.
            const ok = nextSeq();
            conn.write(rpc(ok, '/echo', '{"fine":true}', data));
            const reply = await conn.next(`valid RPC after ${what}`);
            expect({ what, got: sig(reply) }).toEqual({ what, got: `01/1/${ok}/0/d3:${hash(data)}` });
            expect(JSON.parse(reply.param.toString())).toEqual({ fine: true });
          }
          // All of it again in one chunk, with 1-byte chunking.
          const seqnos = garbage.map(() => nextSeq());
          await conn.writeChunked(Buffer.concat(garbage.slice(0, 12).map((p, i) => rpc(seqnos[i], '/echo', p))), 'bytes');
          for (let i = 0; i < 12; i++) expect(sig(await conn.next('chunked garbage reply'))).toBe(`01/1/${seqnos[i]}/2`);
          await conn.ping();
          await leave(rig, conn);
        });
        expect(moved(rig, before)).toEqual({ badParams: garbage.length + 12 });
        await checkAlive(rig);
      }
    });

    test('valid JSON that is not an object is a valid param (echoed, status 0)', async () => {
      const rig = plain;
      await underLoad([rig], async () => {
        const conn = await raw(rig, true);
        for (const param of ['42', '"s"', 'null', 'true', '[1,"/a"]', '-0.5e3', ' {"a" : 1} ']) {
          const seqno = nextSeq();
          conn.write(rpc(seqno, '/echo', param));
          const reply = await conn.next(`echo of ${param}`);
          expect(sig(reply)).toBe(`01/1/${seqno}/0`);
          expect(JSON.parse(reply.param.toString())).toEqual(JSON.parse(param));
        }
        await leave(rig, conn);
      });
      await checkAlive(rig);
    });

    test('bad URLs: empty or not starting with / -> ARGUMENTS (2), unknown -> INVALID_URL (3); connection kept', async () => {
      const rig = plain;
      const before = snap(rig);
      await underLoad([rig], async () => {
        const conn = await raw(rig, true);
        const cases: Array<[string, number]> = [
          ['', 2],
          ['echo', 2],
          [' /echo', 2],
          ['\u0000/echo', 2],
          ['/nope', 3],
          ['/echo/x', 3],
          ['//', 3],
        ];
        for (const [url, status] of cases) {
          const seqno = nextSeq();
          conn.write(rpc(seqno, url, '{{bad json too'));
          expect({ url, got: sig(await conn.next(`RPC ${JSON.stringify(url)}`)) }).toEqual({ url, got: `01/1/${seqno}/${status}` });
        }
        await conn.ping();
        await leave(rig, conn);
      });
      // The URL is checked first: these bad params are never parsed.
      expect(moved(rig, before)).toEqual({});
      await checkAlive(rig);
    });

    // A valid JSON param nested 100 000 deep: parsing it would stall the server, and echoing it
    // would overflow JSON.stringify's stack. The server refuses it before parsing (nesting deeper
    // than MAX_PARAM_DEPTH) with ARGUMENTS (2): the caller gets an answer, the connection stays.
    test('a deeply nested JSON param to /echo still gets an answer, and the connection stays open', async () => {
      const rig = plain;
      await underLoad([rig], async () => {
        const conn = await raw(rig, true);
        const seqno = nextSeq();
        conn.write(rpc(seqno, '/echo', '['.repeat(100_000) + ']'.repeat(100_000)));
        conn.write(ping(seqno + 1));
        const first = await conn.next('reply to the deeply nested RPC');
        expect(sig(first)).toBe(`01/1/${seqno}/2`);
        expect(sig(await conn.next('ping reply'))).toBe(`ff/1/${seqno + 1}/0`);
        await leave(rig, conn);
      });
      await checkAlive(rig);
    });
  });

  describe('unknown packet types after the handshake', () => {
    test('are ignored without reply and the connection is kept (next reply is the PINGECHO)', async () => {
      for (const rig of [plain, secured]) {
        const before = snap(rig);
        await underLoad([rig], async () => {
          const conn = await raw(rig, true);
          const junk: Buffer[] = [];
          const body = { url: '/echo', param: Buffer.from('{"a":1}'), data: Buffer.from([9, 8, 7]) };
          for (let type = 0x07; type <= 0xfd; type++) {
            junk.push(pkt({ type, seqno: 0x7000 + type, ...body }));
            junk.push(pkt({ type, flags: 0x3f, status: 0xff, seqno: 0x8000 + type, tunid: 0xffff })); // every flag
          }
          junk.push(pkt({ type: PacketType.PUBLISH, seqno: 1, ...body }));
          junk.push(pkt({ type: PacketType.QOSSETUP, flags: Flag.REPLY, status: 7, seqno: 2 }));
          junk.push(pkt({ type: PacketType.NOOP, seqno: 3, ...body }));
          // Replies sent to a server are ignored too, whatever their type.
          for (const type of [
            PacketType.SERVINFO,
            PacketType.RPC,
            PacketType.SUBSCRIBE,
            PacketType.UNSUBSCRIBE,
            PacketType.DATAGRAM,
            PacketType.PINGECHO,
          ]) {
            junk.push(pkt({ type, flags: Flag.REPLY, seqno: 0x9000 + type, ...body }));
          }
          conn.write(Buffer.concat(junk));
          await conn.ping(0xabcdef);
          // And once more, one byte at a time.
          await conn.writeChunked(Buffer.concat(junk.slice(0, 40)), 'bytes');
          await conn.ping(0xabcdf0);
          expect(conn.unread()).toEqual([]);
          await leave(rig, conn);
        });
        expect(moved(rig, before)).toEqual({});
        await checkAlive(rig);
      }
    });
  });

  describe('list SUBSCRIBE of junk', () => {
    const junkLists = [
      '{"a":1}',
      '42',
      '"/a"',
      'null',
      'true',
      '[]',
      '[1,2]',
      '["/a",2]',
      '[null]',
      '["a"]',
      '["/a","b"]',
      '[""]',
      '[["/a"]]',
      '[{"url":"/a"}]',
      'not json',
      '["/a"',
      '[' + '"/a",'.repeat(1000) + '5]',
    ];

    test('answered ARGUMENTS (2), none applied, connection kept', async () => {
      for (const rig of [plain, secured]) {
        await underLoad([rig], async () => {
          const conn = await raw(rig, true);
          const remote = rig.server.clients().find((c) => c.id === conn.id)!;
          expect(remote).toBeDefined();
          for (const type of [PacketType.SUBSCRIBE, PacketType.UNSUBSCRIBE]) {
            for (const list of junkLists) {
              const seqno = nextSeq();
              conn.write(pkt({ type, seqno, param: Buffer.from(list) }));
              const what = `${type === PacketType.SUBSCRIBE ? 'SUBSCRIBE' : 'UNSUBSCRIBE'} ${list.slice(0, 30)}`;
              expect({ what, got: sig(await conn.next(what)) }).toEqual({ what, got: `0${type}/1/${seqno}/2` });
              expect({ what, subscribed: remote.subscribed() }).toEqual({ what, subscribed: [] });
            }
            // url form with an invalid URL
            for (const url of ['a', ' /a', '\u0000']) {
              const seqno = nextSeq();
              conn.write(pkt({ type, seqno, url }));
              expect(sig(await conn.next(`url ${JSON.stringify(url)}`))).toBe(`0${type}/1/${seqno}/2`);
            }
          }
          // SUBSCRIBE with neither url nor list
          conn.write(pkt({ type: PacketType.SUBSCRIBE, seqno: 51 }));
          expect(sig(await conn.next('empty SUBSCRIBE'))).toBe('02/1/51/2');
          // A valid list still works afterwards, and junk does not undo it.
          conn.write(pkt({ type: PacketType.SUBSCRIBE, seqno: 52, param: Buffer.from('["/a/","/b"]') }));
          expect(sig(await conn.next('valid list SUBSCRIBE'))).toBe('02/1/52/0');
          expect(remote.subscribed().sort()).toEqual(['/a/', '/b']);
          conn.write(pkt({ type: PacketType.UNSUBSCRIBE, seqno: 53, param: Buffer.from('["/a/",3]') }));
          expect(sig(await conn.next('junk UNSUBSCRIBE'))).toBe('03/1/53/2');
          expect(remote.subscribed().sort()).toEqual(['/a/', '/b']);
          conn.write(pkt({ type: PacketType.UNSUBSCRIBE, seqno: 54 }));
          expect(sig(await conn.next('UNSUBSCRIBE all'))).toBe('03/1/54/0');
          expect(remote.subscribed()).toEqual([]);
          await conn.ping();
          await leave(rig, conn);
        });
        await checkAlive(rig);
      }
    });
  });

  describe(`fuzz: byte soup and mutated packets (seed 0x${SEED.toString(16)})`, () => {
    test('thousands of packets over many connections, before and after the handshake, any chunking', async () => {
      const rng = new Rng(SEED);
      const plans = (passwd: string, counts: { clean: number; bytes: number; doomed: number; soup: number; pre: number }): FuzzPlan[] => {
        const out: FuzzPlan[] = [];
        const add = (label: string, handshakeFirst: boolean, stream: Buffer, chunking: Chunking): void => {
          out.push({ label, handshakeFirst, stream, chunking, rng: rng.fork() });
        };
        for (let i = 0; i < counts.clean; i++)
          add(`clean#${i}`, true, planStream(rng, 'clean', 120, 60000, passwd), i % 3 === 0 ? 'whole' : 'random');
        for (let i = 0; i < counts.bytes; i++) add(`1-byte#${i}`, true, planStream(rng, 'clean', 100, 17, passwd), 'bytes');
        for (let i = 0; i < counts.doomed; i++) add(`doomed#${i}`, true, planStream(rng, 'doomed', 100, 4096, passwd), 'random');
        for (let i = 0; i < counts.soup; i++)
          add(`soup#${i}`, i % 2 === 0, planStream(rng, 'soup', 0, 100, passwd), i % 3 === 0 ? 'bytes' : 'random');
        for (let i = 0; i < counts.pre; i++)
          add(`pre#${i}`, false, planStream(rng, 'pre', 30, 1000, passwd), i % 4 === 0 ? 'bytes' : 'random');
        return out;
      };
      const plainPlans = plans('', { clean: 16, bytes: 2, doomed: 12, soup: 12, pre: 24 });
      const securedPlans = plans(PASSWD, { clean: 6, bytes: 1, doomed: 4, soup: 6, pre: 16 });

      const before = { plain: snap(plain), secured: snap(secured) };
      const dgBefore = { plain: plain.tcpDatagrams, secured: secured.tcpDatagrams };
      const [tp, ts] = await underLoad([plain, secured], () =>
        Promise.all([runPlans(plain, plainPlans, 6), runPlans(secured, securedPlans, 4)]),
      );

      for (const [rig, tally, base, dg] of [
        [plain, tp, before.plain, dgBefore.plain],
        [secured, ts, before.secured, dgBefore.secured],
      ] as const) {
        const d = moved(rig, base);
        expect({
          rig: rig.name,
          protocolErrors: d.protocolErrors ?? 0,
          passwordRefused: d.passwordRefused ?? 0,
          badParams: d.badParams ?? 0,
        }).toEqual({
          rig: rig.name,
          protocolErrors: tally.framing + tally.violations,
          passwordRefused: tally.passwordRefused,
          badParams: tally.badParams,
        });
        // Every framing error and every handshake violation closes its connection.
        expect(d.closedForProtocol ?? 0).toBe(tally.framing + tally.violations);
        expect(d.handshakeTimeouts ?? 0).toBe(0);
        expect(d.slowClientsDropped ?? 0).toBe(0);
        expect(rig.tcpDatagrams - dg).toBe(tally.datagrams);
        await checkAlive(rig);
      }
      const total = tp.packets + ts.packets;
      // Keep the fuzz meaningful: enough packets, and every outcome seen.
      expect(total).toBeGreaterThan(2000);
      expect(tp.outcomes.open).toBeGreaterThan(10);
      expect(tp.outcomes.framing).toBeGreaterThan(10);
      expect(tp.outcomes.refused).toBeGreaterThan(5);
      expect(ts.outcomes.refused).toBeGreaterThan(5);
      expect(ts.outcomes.open).toBeGreaterThan(0);
      console.info(
        `fuzz seed 0x${SEED.toString(16)}: ${tp.conns + ts.conns} connections, ${total} packets; ` +
          `plain ${JSON.stringify(tp.outcomes)}, secured ${JSON.stringify(ts.outcomes)}`,
      );
      // Thousands of connections: seconds of work, more under mutation testing's coverage counters.
    }, 20_000);
  });

  describe('random UDP datagrams to the server port', () => {
    test('bad ones are counted and dropped, spoofed ones counted, the server keeps serving', async () => {
      const rig = plain;
      const rng = new Rng(SEED ^ 0xa5a5a5a5);
      const udp = createSocket('udp4');
      udpSockets.push(udp);
      udp.on('error', () => undefined);
      await new Promise<void>((resolve) => udp.bind(0, HOST, resolve));
      const ids = new Set(rig.server.clients().map((c) => c.id)); // all connected from 127.0.0.1
      const expected = { badDatagrams: 0, spoofedDatagrams: 0, badParams: 0, delivered: 0 };

      const classify = (msg: Buffer): void => {
        if (msg.length < HEADER_LENGTH || msg[0] !== VSOA_MAGIC || msg.length > MAX_QUICK_PACKET_LENGTH) {
          expected.badDatagrams++;
          return;
        }
        const urlLen = msg.readUInt16BE(10);
        const paramLen = msg.readUInt32BE(12);
        const dataLen = msg.readUInt32BE(16);
        if (HEADER_LENGTH + urlLen + paramLen + dataLen > msg.length) {
          expected.badDatagrams++; // declares more than it holds (pad may be missing)
          return;
        }
        if (msg[1] !== PacketType.DATAGRAM || msg[2] & Flag.REPLY) return; // ignored
        if (!ids.has(msg.readUInt32BE(4))) {
          expected.spoofedDatagrams++;
          return;
        }
        const url = urlLen === 0 ? '' : msg.toString('utf8', 20, 20 + urlLen);
        if (!isValidUrl(url)) return;
        if (paramLen > 0 && parseJson(msg.subarray(20 + urlLen, 20 + urlLen + paramLen)) === BAD) expected.badParams++;
        else expected.delivered++;
      };
      const idList = [...ids];
      const gen = (): Buffer => {
        const k = rng.int(100);
        if (k < 20) return rng.bytes(rng.int(1500));
        if (k < 28) return rng.bytes(rng.int(HEADER_LENGTH)); // shorter than a header
        if (k < 36) {
          const soup = rng.bytes(rng.int(200));
          if (soup.length) soup[0] = VSOA_MAGIC;
          return soup;
        }
        if (k < 40) return rng.pick([WRAP24, header({ type: PacketType.DATAGRAM, paramLen: 1 << 30 })]);
        const fields = randomFields(rng, 1000);
        if (rng.bool(0.6)) fields.type = PacketType.DATAGRAM;
        fields.seqno = rng.bool(0.3) ? rng.pick(idList) : rng.u32();
        let bytes = encodePacket(fields);
        if (k < 70) return rng.bool(0.5) ? mutateBenign(rng, bytes) : bytes;
        if (k < 75) return bytes.subarray(0, bytes.length - (bytes[2] >>> 6)); // pad left out
        if (k < 80) return Buffer.concat([bytes, rng.bytes(1 + rng.int(20))]); // trailing bytes
        bytes = mutateBreaking(rng, bytes);
        return bytes;
      };

      const send = (msg: Buffer): Promise<void> =>
        new Promise((resolve, reject) => udp.send(msg, rig.port, HOST, (error) => (error ? reject(error) : resolve())));
      const before = snap(rig);
      const quickBefore = rig.quickDatagrams.length;
      let sent = 0;
      let markers = 0;
      await underLoad([rig], async () => {
        const batches: Buffer[][] = [];
        for (let b = 0; b < 30; b++) batches.push(Array.from({ length: 40 }, gen));
        // Largest datagrams IPv4 carries: soup, and a well-formed spoofed DATAGRAM.
        const big = rng.bytes(MAX_QUICK_PACKET_LENGTH);
        const bigValid = encodePacket({
          type: PacketType.DATAGRAM,
          seqno: 1,
          url: '/big',
          data: Buffer.alloc(MAX_QUICK_PACKET_LENGTH - 20 - 4 - 3),
        });
        batches.push([big], [bigValid.subarray(0, MAX_QUICK_PACKET_LENGTH)]);
        for (let b = 0; b < batches.length; b++) {
          for (const msg of batches[b]) {
            classify(msg);
            await send(msg);
            sent++;
          }
          // A marker from the same socket: the server handles datagrams in order, so once the marker
          // is delivered, the batch has been handled. (It passes as the good client's datagram: the
          // server checks the sender's address, which is the same host.)
          const url = `/marker/${b}`;
          await send(encodePacket({ type: PacketType.DATAGRAM, seqno: rig.good.id, url, param: Buffer.from(`{"b":${b}}`) }));
          await untilServer(rig, () => rig.quickDatagrams.includes(url), `UDP marker ${b}`);
          markers++;
        }
      });
      const { delivered, ...counts } = expected;
      // Every datagram handed to the server's listener is counted as received: the fuzz's and the markers.
      const received = { datagramsReceived: delivered + markers };
      expect(moved(rig, before)).toEqual({ ...Object.fromEntries(Object.entries(counts).filter(([, v]) => v !== 0)), ...received });
      expect(rig.quickDatagrams.length - quickBefore).toBe(delivered + markers);
      expect(sent).toBeGreaterThan(1000);
      expect(expected.badDatagrams).toBeGreaterThan(300);
      expect(expected.spoofedDatagrams).toBeGreaterThan(50);
      await checkAlive(rig);
      // The well-behaved client's own quick datagram still gets through.
      const url = '/quick/ok';
      expect(rig.good.datagram(url, { param: { ok: 1 } }, { quick: true })).toBe(true);
      await untilServer(rig, () => rig.quickDatagrams.includes(url), 'quick datagram from the good client');
    });
  });

  describe('at the end', () => {
    test('the server still accepts new clients, nothing left over', async () => {
      for (const rig of [plain, secured]) {
        await checkAlive(rig);
        const client = new VsoaClient({ timeout: WAIT_MS });
        try {
          await client.connect(`vsoa://${HOST}:${rig.port}`, { passwd: rig.passwd });
          await echoOnce(client);
        } finally {
          await client.close();
        }
        expect(rig.server.counters.handshakeTimeouts).toBe(0);
        expect(rig.server.counters.slowClientsDropped).toBe(0);
      }
      // Only the bystanders and idle connections of both rigs remain open on our side.
      expect(openConns.size).toBe(8);
    });
  });
});
