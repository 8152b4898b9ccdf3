import { EventEmitter } from 'node:events';
import { VsoaError } from '../errors';
import { defaultLogger, VsoaLogger } from '../logger';
import { lookupAll } from '../naming/lookup';
import type { VsoaPayload } from '../protocol/payload';
import type { SendOptions } from '../server/types';
import { VsoaClient } from './client';
import { checkRobotOptions } from './robot';
import type { FetchOptions, RobotOptions, VsoaClientOptions, VsoaReply } from './types';
import { parseVsoaUrl } from './vsoa-url';

export interface ReplicaOptions extends RobotOptions {
  /** How often the name is looked up again, to follow replicas that come and go (ms). Default 30000. */
  refresh?: number;
}

export interface VsoaReplicasEvents {
  /** A replica's link is up (`address` is `host:port`). */
  connect: [address: string, info: unknown];
  /** A replica's link dropped; its robot reconnects. */
  disconnect: [address: string, error?: Error];
  /** A publish from any replica (each replica's own). */
  message: [url: string, payload: VsoaPayload, quick: boolean];
  /** A datagram from any replica. */
  datagram: [url: string, payload: VsoaPayload, quick: boolean];
  /** The replicas changed after a lookup: the addresses now served. */
  replicas: [addresses: string[]];
  /** A lookup of the name failed; the replicas known stay. */
  lookupError: [error: Error];
}

/**
 * The replicas of one service name, each kept linked by its own robot, with RPCs spread over the
 * linked ones in turn (round-robin). A replica is healthy while its link is up: the robot drops
 * a link whose pings are lost, and it is skipped until it is back. Subscriptions go to every
 * replica (fan-in), so that no replica's publishes are missed; a publish that several replicas
 * send alike arrives once from each. The name is looked up again every `refresh` ms, so replicas
 * that come and go (pods scaled, say) are followed.
 */
export class VsoaReplicas extends EventEmitter<VsoaReplicasEvents> {
  private readonly links = new Map<string, VsoaClient>();
  private readonly subscriptions = new Set<string>();
  private readonly logger: VsoaLogger;
  private next = 0;
  private refresher: NodeJS.Timeout | null = null;
  private closed = false;
  private name = '';
  private robotOptions: RobotOptions = {};

  constructor(private readonly options: VsoaClientOptions = {}) {
    super();
    this.logger = options.logger ?? defaultLogger;
  }

  /** True while some replica is linked. */
  get connected(): boolean {
    for (const client of this.links.values()) if (client.connected) return true;
    return false;
  }

  /** Each replica (`host:port`) and whether it is linked now. */
  replicas(): Array<{ address: string; connected: boolean }> {
    return [...this.links].map(([address, client]) => ({ address, connected: client.connected }));
  }

  /**
   * Looks `vsoa://name` up and links every server found, each kept by a robot with `options`.
   * Resolves once the first lookup is done (links come up on their own; watch `'connect'`);
   * rejects when the name is found nowhere. Throws for robot options the seed refuses.
   */
  async start(url: string, options: ReplicaOptions = {}): Promise<void> {
    if (this.name) throw new VsoaError('INVALID_ARGUMENT', 'replicas already started');
    const { refresh = 30_000, ...robot } = options;
    checkRobotOptions(robot);
    this.name = parseVsoaUrl(url).host;
    this.robotOptions = robot;
    await this.resolve();
    // Closed during the first lookup: nothing to follow.
    if (this.closed) return;
    this.refresher = setInterval(() => {
      this.resolve().catch((error: Error) => {
        this.logger.warn(`replicas of ${this.name}: lookup failed: ${error.message}`);
        this.emit('lookupError', error);
      });
    }, refresh);
    this.refresher.unref();
  }

  /** The next linked replica's client, in turn; null when none is linked. */
  pick(): VsoaClient | null {
    const clients = [...this.links.values()];
    for (let i = 0; i < clients.length; i++) {
      const client = clients[(this.next + i) % clients.length];
      if (client.connected) {
        this.next = (this.next + i + 1) % clients.length;
        return client;
      }
    }
    return null;
  }

  /** Calls `url` on the next linked replica; rejects with NOT_CONNECTED when none is. */
  fetch(url: string, options: FetchOptions = {}): Promise<VsoaReply> {
    const client = this.pick();
    if (!client) return Promise.reject(new VsoaError('NOT_CONNECTED', `RPC ${url}: no replica of ${this.name} is linked`));
    return client.fetch(url, options);
  }

  /** Sends a datagram to the next linked replica; false when none is. */
  datagram(url: string, payload?: VsoaPayload, options?: SendOptions): boolean {
    return this.pick()?.datagram(url, payload, options) ?? false;
  }

  /** Subscribes on every replica, now and as replicas link. Rejects when a linked one refuses. */
  async subscribe(urls: string | string[]): Promise<void> {
    const list = Array.isArray(urls) ? urls : [urls];
    for (const url of list) this.subscriptions.add(url);
    await Promise.all([...this.links.values()].filter((client) => client.connected).map((client) => client.subscribe(list)));
  }

  /** Unsubscribes on every replica. */
  async unsubscribe(urls: string | string[]): Promise<void> {
    const list = Array.isArray(urls) ? urls : [urls];
    for (const url of list) this.subscriptions.delete(url);
    await Promise.all([...this.links.values()].filter((client) => client.connected).map((client) => client.unsubscribe(list)));
  }

  /** Closes every link and stops following the name. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.refresher) clearInterval(this.refresher);
    this.refresher = null;
    const clients = [...this.links.values()];
    this.links.clear();
    await Promise.all(clients.map((client) => client.close()));
  }

  /** Looks the name up and links what is new, closing what is gone. */
  private async resolve(): Promise<void> {
    const entries = await lookupAll(this.name, this.robotOptions.lookup);
    if (this.closed) return;
    const addresses = entries.map((entry) => `${entry.addr.includes(':') ? `[${entry.addr}]` : entry.addr}:${entry.port}`);
    let changed = false;
    for (const address of addresses) {
      if (this.links.has(address)) continue;
      this.links.set(address, this.link(address));
      changed = true;
    }
    for (const [address, client] of this.links) {
      if (addresses.includes(address)) continue;
      this.links.delete(address);
      void client.close();
      changed = true;
    }
    if (changed) this.emit('replicas', [...this.links.keys()]);
  }

  /** A robot-kept client of one replica, its events forwarded. */
  private link(address: string): VsoaClient {
    const client = new VsoaClient(this.options);
    client.on('connect', (info) => {
      // The robot renews what this link had; what was subscribed before it linked is sent now.
      const held = new Set(client.subscribed());
      const missing = [...this.subscriptions].filter((url) => !held.has(url));
      if (missing.length > 0)
        client.subscribe(missing).catch((error: Error) => this.logger.warn(`replica ${address}: subscribe failed: ${error.message}`));
      this.emit('connect', address, info);
    });
    client.on('disconnect', (error) => this.emit('disconnect', address, error));
    client.on('message', (url, payload, quick) => this.emit('message', url, payload, quick));
    client.on('datagram', (url, payload, quick) => this.emit('datagram', url, payload, quick));
    client.robot(`vsoa://${address}`, this.robotOptions);
    return client;
  }
}
