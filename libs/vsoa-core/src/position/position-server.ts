import { createSocket, RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import { VsoaError } from '../errors';
import { defaultLogger, RateLimitedWarn, VsoaLogger } from '../logger';
import {
  AF_INET,
  AF_INET6,
  readPositionJson,
  PositionAnswer,
  PositionEntry,
  PositionListenOptions,
  PositionQuery,
  PositionQueryHook,
  PositionRecord,
  PositionServerCounters,
  PositionServerOptions,
  toPositionEntry,
} from './position-types';

export interface PositionServerEvents {
  /** A well-formed query arrived (before it is answered). */
  query: [query: PositionQuery, from: RemoteInfo];
  /** A datagram that is not a query arrived; it was counted and ignored. */
  malformed: [reason: string, from: RemoteInfo];
}

/** The `{}` answer: the name is unknown here. */
const UNKNOWN_ANSWER = Buffer.from('{}');

/**
 * A VSOA position server: answers UDP queries `{"name":…,"domain":…}` with the entry of that
 * name, from its table first and then from the `onquery` hook, or with `{}` when the name is
 * unknown. Names compare case-insensitively. Bad datagrams are counted, logged (rate-limited)
 * and ignored.
 */
export class PositionServer extends EventEmitter<PositionServerEvents> {
  /** What the server has seen; read it, don't write it. */
  readonly counters: PositionServerCounters = { queries: 0, answered: 0, unknown: 0, malformed: 0 };
  /** Entries by lower-cased name; at most one per domain, so a name may have a v4 and a v6 entry. */
  private readonly table = new Map<string, PositionEntry[]>();
  private readonly onquery?: PositionQueryHook;
  private readonly logger: VsoaLogger;
  private readonly warn: RateLimitedWarn;
  private socket: UdpSocket | null = null;
  private bound: AddressInfo | null = null;
  /** Rejects the `listen()` in progress, so that `close()` during a bind does not leave it hanging. */
  private abortBind: ((error: Error) => void) | null = null;
  private closing: Promise<void> | null = null;

  /**
   * `new PositionServer(onquery)` (the seed's `Position(onquery)`: every name answered from code)
   * or `new PositionServer({ table, onquery, logger })`. Throws `VsoaError('INVALID_ARGUMENT')`
   * when a table entry is unusable or the argument is neither.
   */
  constructor(onquery: PositionQueryHook);
  constructor(options?: PositionServerOptions);
  constructor(optionsOrHook: PositionServerOptions | PositionQueryHook = {}) {
    super();
    if (typeof optionsOrHook !== 'function' && (typeof optionsOrHook !== 'object' || optionsOrHook === null)) {
      throw new VsoaError('INVALID_ARGUMENT', 'PositionServer takes an onquery function or an options object');
    }
    const options: PositionServerOptions = typeof optionsOrHook === 'function' ? { onquery: optionsOrHook } : optionsOrHook;
    this.onquery = options.onquery;
    this.logger = options.logger ?? defaultLogger;
    this.warn = new RateLimitedWarn(this.logger);
    const table = options.table ?? [];
    if (Array.isArray(table)) {
      for (const { name, ...record } of table) this.set(name, record);
    } else {
      for (const [name, record] of Object.entries(table)) this.set(name, record);
    }
  }

  /**
   * Adds or replaces the entry of `name` for the record's domain (derived from `addr` when
   * absent). Throws `VsoaError('INVALID_ARGUMENT')` for a bad name, address, port or domain.
   */
  set(name: string, record: PositionRecord): this {
    const entry = toPositionEntry({ ...record, name }, name);
    if (typeof entry === 'string') throw new VsoaError('INVALID_ARGUMENT', `position entry ${JSON.stringify(name)}: ${entry}`);
    const key = name.toLowerCase();
    const others = (this.table.get(key) ?? []).filter((e) => e.domain !== entry.domain);
    this.table.set(key, [...others, entry]);
    return this;
  }

  /** Removes every entry of `name` (or only the one of `domain`); returns whether one existed. */
  delete(name: string, domain?: number): boolean {
    const key = name.toLowerCase();
    const entries = this.table.get(key);
    if (!entries) return false;
    const kept = domain === undefined ? [] : entries.filter((e) => e.domain !== domain);
    if (kept.length > 0) this.table.set(key, kept);
    else this.table.delete(key);
    return kept.length < entries.length;
  }

  /**
   * Binds the UDP socket (IPv6 when `host` is an IPv6 address). Rejects when the port cannot be
   * bound, when already listening, or when `close()` is called first.
   */
  async listen(options: PositionListenOptions = {}): Promise<void> {
    if (this.socket) throw new VsoaError('INVALID_ARGUMENT', 'position server is already listening');
    const host = options.host ?? '0.0.0.0';
    const port = options.port ?? 0;
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    this.socket = socket;
    this.closing = null;
    try {
      await new Promise<void>((resolve, reject) => {
        this.abortBind = reject;
        socket.once('error', reject);
        socket.bind({ port, address: host, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      if (this.socket === socket) {
        this.socket = null;
        socket.close();
      }
      throw error;
    } finally {
      this.abortBind = null;
    }
    socket.on('error', (error) => this.logger.warn(`position server UDP error: ${error.message}`));
    socket.on('message', (msg, rinfo) => this.onMessage(socket, msg, rinfo));
    this.bound = socket.address();
  }

  /** The bound address (`{ address, port, family }`), or null when not listening. */
  address(): AddressInfo | null {
    return this.bound ? { ...this.bound } : null;
  }

  /** Closes the socket. Safe to call more than once; answers still pending are dropped. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const socket = this.socket;
    this.socket = null;
    this.bound = null;
    if (this.abortBind) {
      // The bind callback never runs once the socket is closed.
      this.abortBind(new VsoaError('CLOSED', 'position server closed while binding'));
      this.abortBind = null;
      socket?.close();
      this.closing = Promise.resolve();
    } else {
      this.closing = socket ? new Promise((resolve) => socket.close(() => resolve())) : Promise.resolve();
    }
    return this.closing;
  }

  private onMessage(socket: UdpSocket, msg: Buffer, from: RemoteInfo): void {
    const query = parseQuery(msg);
    if (typeof query === 'string') {
      this.counters.malformed++;
      this.warn.warn(`position query from ${from.address}:${from.port} ignored: ${query}`);
      this.emit('malformed', query, from);
      return;
    }
    this.counters.queries++;
    this.emit('query', query, from);
    const entry = this.find(query);
    if (entry) {
      this.answer(socket, from, entry);
    } else if (this.onquery) {
      this.ask(this.onquery, socket, query, from);
    } else {
      this.answer(socket, from, null);
    }
  }

  private find(query: PositionQuery): PositionEntry | undefined {
    const entries = this.table.get(query.name.toLowerCase());
    if (!entries) return undefined;
    // A domain that names no family (absent, or the seed's -1) asks for any.
    const family = query.domain === AF_INET || query.domain === AF_INET6 ? query.domain : undefined;
    return family === undefined ? entries[0] : entries.find((e) => e.domain === family);
  }

  /** Hands the query to the hook; its first reply wins, a throw or rejection means unknown. */
  private ask(hook: PositionQueryHook, socket: UdpSocket, query: PositionQuery, from: RemoteInfo): void {
    let replied = false;
    const reply = (entry: PositionAnswer | null): void => {
      if (replied) {
        this.logger.debug(`position query ${JSON.stringify(query.name)}: second reply ignored`);
        return;
      }
      replied = true;
      if (entry === null || entry === undefined) {
        this.answer(socket, from, null);
        return;
      }
      const checked = toPositionEntry(entry, query.name);
      if (typeof checked === 'string') {
        this.warn.warn(`position query ${JSON.stringify(query.name)}: onquery replied with a bad entry (${checked}); answering unknown`);
        this.answer(socket, from, null);
        return;
      }
      this.answer(socket, from, checked);
    };
    const failed = (error: unknown): void => {
      this.warn.warn(
        `position query ${JSON.stringify(query.name)}: onquery failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!replied) reply(null);
    };
    try {
      // The hook is typed to return nothing, but an async one returns a promise whose rejection we must catch.
      const result: unknown = hook({ ...query }, reply);
      if (result instanceof Promise) result.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  private answer(socket: UdpSocket, to: RemoteInfo, entry: PositionEntry | null): void {
    // A hook may answer after close(); the socket is gone then.
    if (this.socket !== socket) return;
    let text: Buffer;
    if (entry) {
      this.counters.answered++;
      const { name, addr, port, domain, security } = entry;
      text = Buffer.from(JSON.stringify({ name, addr, port, domain, security }));
    } else {
      this.counters.unknown++;
      text = UNKNOWN_ANSWER;
    }
    socket.send(text, to.port, to.address, (error) => {
      if (error) this.logger.debug(`position answer to ${to.address}:${to.port} failed: ${error.message}`);
    });
  }
}

/** Reads a query datagram; returns why it is not one as a string. */
function parseQuery(msg: Buffer): PositionQuery | string {
  const parsed = readPositionJson(msg);
  if (typeof parsed === 'string') return parsed;
  const { value } = parsed;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const { name, domain } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return 'no name';
  if (domain === undefined || domain === null) return { name };
  if (typeof domain !== 'number') return 'domain is not a number';
  return { name, domain };
}
