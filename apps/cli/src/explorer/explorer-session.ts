import { EventEmitter } from 'node:events';
import { DESCRIBE_URL, lookup, statusName, VsoaClient, VsoaError } from '@vsoa/core';
import type { ConnectOptions, LookupOptions, PositionEntry, VsoaPayload, VsoaServerDescription } from '@vsoa/core';
import { describeError } from '../errors';
import { FeedBatch, LiveFeed, LiveFeedOptions, TopicUpdate } from './live-feed';

/** Where the link stands, as the page shows it. */
export type LinkState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

export interface SessionState {
  state: LinkState;
  /** The `vsoa://` URL connected (or being connected) to. */
  target: string | null;
  /** The server's info from the handshake. */
  info: unknown;
  subscriptions: string[];
  /** Why the last attempt or the link failed, in one line. */
  problem: string | null;
}

export interface CallRequest {
  url: string;
  method?: 'GET' | 'SET';
  param?: unknown;
  /** Data bytes, as `dataEncoding` says: UTF-8 text (default) or hex. */
  data?: string;
  dataEncoding?: 'text' | 'hex';
  timeout?: number;
}

export interface CallResult {
  status: number;
  statusName: string;
  param: unknown;
  dataBytes: number;
  /** The data as hex, and as text when it is valid UTF-8. */
  dataHex: string;
  dataText: string | null;
  tunid: number;
  /** Round trip of the call (ms). */
  ms: number;
}

export interface DatagramRequest {
  url: string;
  param?: unknown;
  data?: string;
  dataEncoding?: 'text' | 'hex';
  quick?: boolean;
}

export interface ExplorerSessionOptions {
  /** Password, TLS and lookup options for every connect (the page may give its own password). */
  connect?: ConnectOptions;
  /** Timeout of calls (ms). Default 10000. */
  timeout?: number;
  /** How often the page is sent what changed (ms). Default 100. */
  flushInterval?: number;
  /** Ping period while connected, for the RTT chart (ms). Default 1000. */
  pingInterval?: number;
  feed?: LiveFeedOptions;
}

export interface ExplorerSessionEvents {
  state: [state: SessionState];
  topics: [batch: FeedBatch];
  ping: [sample: { at: number; rtt: number | null }];
}

/** Data bytes accepted from the page in one call or datagram. */
const MAX_PAGE_DATA = 1024 * 1024;

/** A robot reconnect after the link drops: quicker than the seed's 1 s, as a person is watching. */
const RECONNECT_DELAY = 500;

/**
 * The explorer's one VSOA connection and what the page asks of it: calls, subscriptions,
 * datagrams, pings and lookups. Publishes go through a LiveFeed flushed on a timer, so what the
 * page receives is bounded by the URLs it watches, never by the publisher's rate.
 */
export class ExplorerSession extends EventEmitter<ExplorerSessionEvents> {
  private client: VsoaClient | null = null;
  private current: SessionState = { state: 'idle', target: null, info: null, subscriptions: [], problem: null };
  private readonly subscriptions = new Set<string>();
  private readonly feed: LiveFeed;
  private readonly flushTimer: NodeJS.Timeout;
  private pingTimer: NodeJS.Timeout | null = null;
  private readonly timeout: number;

  constructor(private readonly options: ExplorerSessionOptions = {}) {
    super();
    this.timeout = options.timeout ?? 10_000;
    this.feed = new LiveFeed(options.feed);
    this.flushTimer = setInterval(() => this.flush(), options.flushInterval ?? 100);
  }

  get state(): SessionState {
    return { ...this.current, subscriptions: [...this.subscriptions] };
  }

  /** Every URL seen so far, for a page that opens late. */
  topics(): TopicUpdate[] {
    return this.feed.snapshot();
  }

  /**
   * Connects to `vsoa://host:port` or `vsoa://name` and keeps the link up (it reconnects and
   * re-subscribes). Resolves once connected; rejects with the first attempt's failure.
   */
  async connect(target: string, passwd?: string): Promise<SessionState> {
    await this.disconnect();
    const client = new VsoaClient({ timeout: this.timeout });
    this.client = client;
    this.feed.clear();
    this.update({ state: 'connecting', target, info: null, problem: null });
    const options = { ...this.options.connect, ...(passwd ? { passwd } : {}) };
    const first = new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connectError', reject);
    });
    client.on('connect', (info) => {
      this.update({ state: 'connected', info, problem: null });
      this.startPings(client);
    });
    client.on('disconnect', (error) => {
      if (this.client !== client) return;
      this.stopPings();
      this.update({ state: 'reconnecting', problem: error ? describeError(error).message : 'link closed' });
    });
    client.on('connectError', (error) => this.client === client && this.update({ problem: describeError(error).message }));
    client.on('message', (url, payload, quick) => this.feed.record(url, payload, quick));
    client.robot(target, { ...options, connTimeout: options.timeout, reconnDelay: RECONNECT_DELAY });
    try {
      await first;
    } catch (error) {
      await this.disconnect();
      this.update({ problem: describeError(error).message });
      throw error;
    }
    return this.state;
  }

  /** Closes the link; subscriptions are forgotten. */
  async disconnect(): Promise<SessionState> {
    const client = this.client;
    this.client = null;
    this.stopPings();
    this.subscriptions.clear();
    if (client) await client.close();
    this.update({ state: 'idle', info: null });
    return this.state;
  }

  async call(request: CallRequest): Promise<CallResult> {
    const client = this.connected();
    const started = performance.now();
    const reply = await client.fetch(request.url, {
      method: request.method ?? 'GET',
      payload: pagePayload(request.param, request.data, request.dataEncoding),
      timeout: request.timeout ?? this.timeout,
    });
    const ms = performance.now() - started;
    const data = reply.payload.data ?? Buffer.alloc(0);
    return {
      status: reply.status,
      statusName: statusName(reply.status),
      param: reply.payload.param ?? null,
      dataBytes: data.length,
      dataHex: data.toString('hex'),
      dataText: utf8(data),
      tunid: reply.tunid,
      ms: Math.round(ms * 1000) / 1000,
    };
  }

  async subscribe(url: string): Promise<SessionState> {
    const client = this.connected();
    await client.subscribe(url);
    this.subscriptions.add(url);
    this.update({});
    return this.state;
  }

  async unsubscribe(url: string): Promise<SessionState> {
    const client = this.connected();
    await client.unsubscribe(url);
    this.subscriptions.delete(url);
    this.update({});
    return this.state;
  }

  /** Sends a datagram; false when the link could not take it (quick over TLS, not connected). */
  datagram(request: DatagramRequest): boolean {
    const client = this.connected();
    return client.datagram(request.url, pagePayload(request.param, request.data, request.dataEncoding), {
      quick: request.quick === true,
    });
  }

  /** One ping; resolves with the round trip (ms). */
  ping(): Promise<number> {
    return this.connected().ping(this.timeout);
  }

  /** The server's self-description, or null when it does not describe itself. */
  async describe(): Promise<VsoaServerDescription | null> {
    const reply = await this.connected().fetch(DESCRIBE_URL, { timeout: this.timeout });
    if (reply.status !== 0 || typeof reply.payload.param !== 'object' || reply.payload.param === null) return null;
    return reply.payload.param as VsoaServerDescription;
  }

  /** Asks the position servers (or DNS, as configured) where `name` is. */
  lookup(name: string): Promise<PositionEntry> {
    const options: LookupOptions | undefined = this.options.connect?.lookup;
    return lookup(name, options);
  }

  /** Stops the timers and the link. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.disconnect();
  }

  private connected(): VsoaClient {
    if (!this.client || !this.client.connected) throw new VsoaError('NOT_CONNECTED', 'not connected to a server');
    return this.client;
  }

  private update(change: Partial<SessionState>): void {
    this.current = { ...this.current, ...change };
    this.emit('state', this.state);
  }

  private flush(): void {
    const batch = this.feed.flush();
    if (batch) this.emit('topics', batch);
  }

  private startPings(client: VsoaClient): void {
    this.stopPings();
    const interval = this.options.pingInterval ?? 1000;
    const tick = (): void => {
      client.ping(interval * 2).then(
        (rtt) => this.emit('ping', { at: Date.now(), rtt }),
        () => this.emit('ping', { at: Date.now(), rtt: null }),
      );
    };
    tick();
    this.pingTimer = setInterval(tick, interval);
  }

  private stopPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}

/** The payload the page asked for; its data decoded from text or hex. */
function pagePayload(param: unknown, data: string | undefined, encoding: 'text' | 'hex' | undefined): VsoaPayload {
  const payload: VsoaPayload = {};
  if (param !== undefined) payload.param = param;
  if (data !== undefined && data !== '') {
    if (encoding === 'hex') {
      const hex = data.replace(/\s+/g, '');
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new VsoaError('INVALID_ARGUMENT', 'data is not hex (two digits a byte)');
      payload.data = Buffer.from(hex, 'hex');
    } else {
      payload.data = Buffer.from(data, 'utf8');
    }
    if (payload.data.length > MAX_PAGE_DATA) throw new VsoaError('INVALID_ARGUMENT', `data over ${MAX_PAGE_DATA} bytes`);
  }
  return payload;
}

/** The bytes as text when they are valid UTF-8 without control characters other than whitespace. */
function utf8(data: Buffer): string | null {
  if (data.length === 0) return '';
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      // Control characters other than tab, newlines, vertical tab, form feed and carriage return.
      if (code < 0x20 && (code < 0x09 || code > 0x0d)) return null;
    }
    return text;
  } catch {
    return null;
  }
}
