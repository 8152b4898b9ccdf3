import type { Duplex } from 'node:stream';
import { VsoaClient } from '../client/client';
import type { RobotOptions } from '../client/types';
import { VsoaStatus } from '../protocol/constants';
import type { VsoaPayload } from '../protocol/payload';
import { isValidUrl, urlMatches } from '../url';
import { VsoaError } from '../errors';
import type { VsoaLogger } from '../logger';
import type { VsoaServer } from '../server/server';
import type { RemoteClient } from '../server/remote-client';
import type { VsoaRequest } from '../server/types';

/** How to reach an upstream: the robot's options (passwd, tls, lookup, keepalive, …) plus a call timeout. */
export interface UpstreamOptions extends RobotOptions {
  /** Reply timeout of forwarded calls (ms). Default 10000; a call that times out is answered PROXY. */
  callTimeout?: number;
}

interface Upstream {
  prefix: string;
  client: VsoaClient;
  callTimeout: number;
  /** Whether the route registered `prefix/` (not when a command of the server's own was there). */
  ownsCommand: boolean;
}

/**
 * Routes a server's URLs by prefix to upstream VSOA servers: `/car/x` goes to the upstream of
 * `/car` as `/x`. RPCs are forwarded with their param bytes untouched (no JSON round trip) and
 * their status passed through; a reply that opens a stream is bridged through a stream of our
 * own; datagrams go up, reliable or quick; publishes come down under the prefix, and upstreams
 * are subscribed to exactly what our clients subscribed to. Upstreams are kept by the robot
 * (reconnect, re-subscribe, names re-resolved); while one is down its calls are answered PROXY (7).
 */
export class ProxyRoutes {
  private readonly upstreams = new Map<string, Upstream>();
  private reconcileQueued = false;

  constructor(
    private readonly server: VsoaServer,
    private readonly logger: VsoaLogger,
  ) {
    server.on('client', (cli, connected) => {
      if (connected) {
        cli.on('subscribe', () => this.queueReconcile());
        cli.on('unsubscribe', () => this.queueReconcile());
      } else {
        this.queueReconcile();
      }
    });
    server.on('datagram', (_cli, url, payload, quick) => this.forwardDatagram(url, payload, quick));
  }

  /**
   * Routes `prefix` (`/car`) and everything under it to the server at `url` (`vsoa://host:port`
   * or `vsoa://name`). A command registered under exactly `prefix/` is left alone (it wins);
   * longer prefixes and exact URLs win by the usual longest-match rule.
   */
  add(prefix: string, url: string, options: UpstreamOptions = {}): void {
    const route = normalizePrefix(prefix);
    this.delete(route);
    const { callTimeout, ...robot } = options;
    const client = new VsoaClient({ raw: true, logger: this.logger });
    const ownsCommand = !this.server.hasCommand(`${route}/`);
    const upstream: Upstream = { prefix: route, client, callTimeout: callTimeout ?? 10_000, ownsCommand };
    this.upstreams.set(route, upstream);
    client.on('message', (path, payload, quick) => this.forwardPublish(upstream, path, payload, quick));
    client.on('connect', () => this.queueReconcile());
    client.on('connectError', (error) => this.logger.debug(`proxy ${route}: ${error.message}`));
    client.robot(url, robot);
    if (ownsCommand) {
      this.server.command(`${route}/`, (cli, req, payload) => this.forwardCall(upstream, cli, req, payload), { rawParam: true });
    }
    this.queueReconcile();
  }

  /** Stops routing `prefix`; returns whether it was routed. */
  delete(prefix: string): boolean {
    const route = normalizePrefix(prefix);
    const upstream = this.upstreams.get(route);
    if (!upstream) return false;
    this.upstreams.delete(route);
    if (upstream.ownsCommand) this.server.removeCommand(`${route}/`);
    void upstream.client.close();
    return true;
  }

  /** The client linked to the upstream of `prefix` (to watch its `'connect'` / `'disconnect'`). */
  upstream(prefix: string): VsoaClient | undefined {
    return this.upstreams.get(normalizePrefix(prefix))?.client;
  }

  /** The routed prefixes. */
  prefixes(): string[] {
    return [...this.upstreams.keys()];
  }

  /** Closes every upstream link. */
  async close(): Promise<void> {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all(all.map((upstream) => upstream.client.close()));
  }

  private async forwardCall(upstream: Upstream, cli: RemoteClient, req: VsoaRequest, payload: VsoaPayload): Promise<void> {
    const { client } = upstream;
    if (!client.connected) {
      cli.reply(req.seqno, undefined, { status: VsoaStatus.PROXY });
      return;
    }
    const path = strip(upstream.prefix, req.url);
    let reply;
    try {
      reply = await client.fetch(path, { method: req.method, payload, timeout: upstream.callTimeout });
    } catch (error) {
      this.logger.debug(`proxy ${req.url}: ${(error as Error).message}`);
      cli.reply(req.seqno, undefined, { status: VsoaStatus.PROXY });
      return;
    }
    // The upstream client is raw: its param arrives as text, and goes back down as those bytes.
    const param = typeof reply.payload.param === 'string' ? Buffer.from(reply.payload.param) : undefined;
    const answer: VsoaPayload = { param, data: reply.payload.data };
    if (!reply.tunid) {
      cli.reply(req.seqno, answer, { status: reply.status });
      return;
    }
    const down = await this.server.createStream({ client: cli });
    const up = client.createStream(reply.tunid);
    bridge(up, down, (error) => this.logger.debug(`proxy stream ${req.url}: ${error.message}`));
    cli.reply(req.seqno, answer, { status: reply.status, tunid: down.tunid });
  }

  private forwardDatagram(url: string, payload: VsoaPayload, quick: boolean): void {
    const upstream = this.routeOf(url);
    if (!upstream || !upstream.client.connected) return;
    // Datagrams arrive parsed; the raw upstream client sends a Buffer param as JSON text.
    const param = payload.param === undefined ? undefined : Buffer.from(JSON.stringify(payload.param));
    try {
      upstream.client.datagram(strip(upstream.prefix, url), { param, data: payload.data }, { quick });
    } catch (error) {
      this.logger.debug(`proxy datagram ${url}: ${(error as VsoaError).message}`);
    }
  }

  private forwardPublish(upstream: Upstream, path: string, payload: VsoaPayload, quick: boolean): void {
    const url = path === '/' ? upstream.prefix : upstream.prefix + path;
    const param = typeof payload.param === 'string' ? Buffer.from(payload.param) : undefined;
    try {
      this.server.publish(url, { param, data: payload.data }, { quick });
    } catch (error) {
      this.logger.debug(`proxy publish ${url}: ${(error as Error).message}`);
    }
  }

  /** The upstream whose prefix covers `url` (the longest). */
  private routeOf(url: string): Upstream | undefined {
    let best: Upstream | undefined;
    for (const upstream of this.upstreams.values()) {
      if (urlMatches(`${upstream.prefix}/`, url) && (!best || upstream.prefix.length > best.prefix.length)) {
        best = upstream;
      }
    }
    return best;
  }

  private queueReconcile(): void {
    if (this.reconcileQueued) return;
    this.reconcileQueued = true;
    queueMicrotask(() => {
      this.reconcileQueued = false;
      this.reconcile();
    });
  }

  /** Subscribes each upstream to what our clients want from it, and unsubscribes the rest. */
  private reconcile(): void {
    const wanted = new Map<Upstream, Set<string>>();
    for (const upstream of this.upstreams.values()) wanted.set(upstream, new Set());
    for (const cli of this.server.clients()) {
      for (const sub of cli.subscribed()) {
        for (const upstream of this.upstreams.values()) {
          const path = upstreamSubscription(upstream.prefix, sub);
          if (path !== null) wanted.get(upstream)!.add(path);
        }
      }
    }
    for (const [upstream, paths] of wanted) {
      const { client } = upstream;
      if (!client.connected) continue;
      const have = new Set(client.subscribed());
      for (const path of paths) {
        if (!have.has(path)) client.subscribe(path).catch((error: Error) => this.logger.debug(`proxy subscribe ${path}: ${error.message}`));
      }
      for (const path of have) {
        if (!paths.has(path))
          client.unsubscribe(path).catch((error: Error) => this.logger.debug(`proxy unsubscribe ${path}: ${error.message}`));
      }
    }
  }
}

/** `/car/` and `/car` both mean the route `/car`. */
function normalizePrefix(prefix: string): string {
  const route = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (!isValidUrl(route) || route === '/')
    throw new VsoaError('INVALID_ARGUMENT', `proxy prefix must be like '/car': ${JSON.stringify(prefix)}`);
  return route;
}

/** The upstream URL of `url` under `prefix`: `/car/x` → `/x`, `/car` → `/`. */
function strip(prefix: string, url: string): string {
  return url.length === prefix.length ? '/' : url.slice(prefix.length);
}

/** What an upstream must be subscribed to for our subscription `sub`, or null when it is not concerned. */
function upstreamSubscription(prefix: string, sub: string): string | null {
  if (sub === prefix || sub === `${prefix}/`) return '/';
  if (sub.startsWith(`${prefix}/`)) return sub.slice(prefix.length);
  // A wider prefix (`/` or `/ca`… ending in `/`) covers the whole upstream.
  if (urlMatches(sub, `${prefix}/`)) return '/';
  return null;
}

/** Pipes two streams into each other; an error on either ends both. */
function bridge(a: Duplex, b: Duplex, onError: (error: Error) => void): void {
  a.pipe(b);
  b.pipe(a);
  const fail = (error: Error): void => {
    onError(error);
    a.destroy();
    b.destroy();
  };
  a.once('error', fail);
  b.once('error', fail);
  a.once('timeout', () => b.destroy());
  b.once('timeout', () => a.destroy());
}
