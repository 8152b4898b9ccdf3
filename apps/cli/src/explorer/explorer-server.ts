import { createReadStream } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { VsoaError } from '@vsoa/core';
import { describeError } from '../errors';
import { ExplorerSession } from './explorer-session';

/** The page's files: this directory's `page/`, and uPlot (the charts) from its package. */
const PAGE_DIR = join(__dirname, 'page');
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: join(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: join(PAGE_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: join(PAGE_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Largest request body the page sends (a call's param and data). */
const MAX_BODY = 2 * 1024 * 1024;

/** Server-sent events waiting in a slow page's socket before further flushes are skipped. */
const MAX_BUFFERED = 256 * 1024;

/** A request the page got wrong: answered with this HTTP status and the message. */
class PageRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP statuses of the failures that are the page's doing; the others are the server's (502). */
const PAGE_STATUS: Record<string, number> = { INVALID_ARGUMENT: 400, TOO_LARGE: 400, QUICK_OVER_TLS: 400, NOT_CONNECTED: 409 };

type Action = (session: ExplorerSession, body: Record<string, unknown>) => unknown;

/** What the page may ask, by `POST /api/<name>` with a JSON body. */
const ACTIONS: Record<string, Action> = {
  connect: (s, b) => s.connect(text(b.url, 'url'), optionalText(b.passwd)),
  disconnect: (s) => s.disconnect(),
  call: (s, b) => s.call({ url: text(b.url, 'url'), method: b.method === 'SET' ? 'SET' : 'GET', param: b.param, ...pageData(b) }),
  subscribe: (s, b) => s.subscribe(text(b.url, 'url')),
  unsubscribe: (s, b) => s.unsubscribe(text(b.url, 'url')),
  datagram: (s, b) => ({
    sent: s.datagram({ url: text(b.url, 'url'), param: b.param, ...pageData(b), quick: b.quick === true }),
  }),
  ping: async (s) => ({ rtt: await s.ping() }),
  describe: (s) => s.describe(),
  lookup: (s, b) => s.lookup(text(b.name, 'name')),
};

export interface ExplorerServerOptions {
  /** Address to listen on. Default 127.0.0.1: the page can call any service the explorer reaches. */
  host?: string;
  /** Port; 0 picks a free one. */
  port?: number;
}

/**
 * Serves the explorer page and its API over HTTP: static files, `POST /api/*` for what the page
 * does, and `GET /events` (server-sent events) for what happens. Requests must name this server
 * in their Host header (no DNS rebinding) and send JSON (a cross-site form cannot), so another
 * site open in the same browser cannot drive the explorer.
 */
export class ExplorerServer {
  private readonly http: Server;
  /** Open event streams, each with the flushes it missed while its page was slow. */
  private readonly streams = new Map<ServerResponse, { skipped: number }>();

  constructor(private readonly session: ExplorerSession) {
    this.http = createServer((req, res) => this.handle(req, res));
    session.on('state', (state) => this.broadcast('state', state));
    session.on('topics', (batch) => this.broadcast('topics', batch));
    session.on('ping', (sample) => this.broadcast('ping', sample));
  }

  async listen(options: ExplorerServerOptions = {}): Promise<string> {
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(options.port ?? 0, host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const { port } = this.http.address() as AddressInfo;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  }

  async close(): Promise<void> {
    for (const res of this.streams.keys()) res.end();
    this.streams.clear();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (!this.trustedHost(req.headers.host)) return this.send(res, 421, { error: { code: 'BAD_HOST', message: 'unknown Host header' } });
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/events') return this.openStream(res);
    if (req.method === 'GET' && STATIC[path]) return this.serveFile(res, STATIC[path]);
    if (req.method === 'POST' && path.startsWith('/api/')) {
      this.runAction(req, path.slice(5)).then(
        (result) => this.send(res, 200, result ?? null),
        (error: unknown) => this.sendError(res, error),
      );
      return;
    }
    this.send(res, 404, { error: { code: 'NOT_FOUND', message: `no ${req.method} ${path}` } });
  }

  /** The Host header must be this server's own address (or localhost at its port). */
  private trustedHost(host: string | undefined): boolean {
    const address = this.http.address() as AddressInfo | null;
    if (!host || !address) return false;
    const port = String(address.port);
    const name = host.replace(/:(\d+)$/, '');
    if (!host.endsWith(`:${port}`)) return false;
    return (
      name === 'localhost' ||
      name === address.address ||
      name === `[${address.address}]` ||
      address.address === '0.0.0.0' ||
      address.address === '::'
    );
  }

  private async runAction(req: IncomingMessage, name: string): Promise<unknown> {
    const action = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
    if (!action) throw new PageRequestError(404, `no action ${JSON.stringify(name)}`);
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new PageRequestError(415, 'send application/json');
    const body = await readJson(req);
    return action(this.session, body);
  }

  private openStream(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.streams.set(res, { skipped: 0 });
    res.on('close', () => this.streams.delete(res));
    // A page that opens (or reopens) starts from the current state and every URL seen so far.
    this.write(res, 'state', this.session.state);
    const topics = this.session.topics();
    if (topics.length > 0) this.write(res, 'topics', { at: Date.now(), updates: topics, sampled: 0, untracked: 0 });
  }

  private broadcast(event: string, data: unknown): void {
    for (const [res, stream] of this.streams) {
      // A page that does not keep up misses flushes (each carries totals and last values, so the
      // next one it gets is complete); it is told how many it missed.
      if (res.writableLength > MAX_BUFFERED) {
        stream.skipped++;
        continue;
      }
      const skipped = stream.skipped;
      stream.skipped = 0;
      this.write(res, event, skipped > 0 && event === 'topics' ? { ...(data as object), skippedFlushes: skipped } : data);
    }
  }

  private write(res: ServerResponse, event: string, data: unknown): void {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private serveFile(res: ServerResponse, entry: { file: string; type: string }): void {
    const stream = createReadStream(entry.file);
    stream.once('open', () => {
      res.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-cache' });
      stream.pipe(res);
    });
    stream.once('error', () => this.send(res, 500, { error: { code: 'MISSING_FILE', message: 'page file missing (build the CLI)' } }));
  }

  private sendError(res: ServerResponse, error: unknown): void {
    if (error instanceof PageRequestError) return this.send(res, error.status, { error: { code: 'BAD_REQUEST', message: error.message } });
    const code = error instanceof VsoaError ? error.code : 'FAILED';
    this.send(res, PAGE_STATUS[code] ?? 502, { error: { code, message: describeError(error).message } });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return void res.end();
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new PageRequestError(413, `request body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size === 0) return resolve({});
      try {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
        resolve(body as Record<string, unknown>);
      } catch {
        reject(new PageRequestError(400, 'body is not a JSON object'));
      }
    });
  });
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new PageRequestError(400, `${name} must be a non-empty string`);
  return value;
}

/** The data of a call or datagram, as the page sent it: text (the default) or hex. */
function pageData(body: Record<string, unknown>): { data?: string; dataEncoding: 'text' | 'hex' } {
  return { data: optionalText(body.data), dataEncoding: body.dataEncoding === 'hex' ? 'hex' : 'text' };
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
