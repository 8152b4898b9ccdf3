/**
 * The explorer's HTTP side without a browser: what the page's requests get, who may make them,
 * and that a fast publisher reaches the page as a bounded stream of batches.
 */
import { request } from 'node:http';
import { PositionServer, VsoaServer } from '@vsoa/core';
import type { ConnectOptions } from '@vsoa/core';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { ExplorerServer } from './explorer-server';
import { ExplorerSession } from './explorer-session';
import type { FeedBatch } from './live-feed';

const teardowns = teardownsAfterEach();

async function startVsoa(): Promise<{ server: VsoaServer; url: string }> {
  const server = new VsoaServer({ info: { name: 'spec' }, describe: true });
  server.command('/echo', (cli, req, payload) => cli.reply(req.seqno, payload));
  await server.listen({ host: '127.0.0.1', port: 0 });
  teardowns.push(() => server.close());
  return { server, url: `vsoa://127.0.0.1:${server.address()!.port}` };
}

async function startExplorer(connect?: ConnectOptions): Promise<{ session: ExplorerSession; base: string }> {
  const session = new ExplorerSession({ connect, timeout: 3000, pingInterval: 60_000 });
  const explorer = new ExplorerServer(session);
  const base = await explorer.listen({ port: 0 });
  teardowns.push(
    () => session.close(),
    () => explorer.close(),
  );
  return { session, base };
}

async function post(base: string, action: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}api/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Reads the event stream, calling `onEvent` per event until it returns true. */
/** Opens the page's event stream; once this resolves the server sends it everything that happens. */
async function openEvents(base: string): Promise<(onEvent: (event: string, data: unknown) => boolean) => Promise<void>> {
  const controller = new AbortController();
  const res = await fetch(`${base}events`, { signal: controller.signal });
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  return async (onEvent) => {
    const decoder = new TextDecoder();
    let text = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)![1];
          const data: unknown = JSON.parse(/^data: (.*)$/m.exec(block)![1]);
          if (onEvent(event, data)) return;
        }
      }
      throw new Error('the event stream ended');
    } finally {
      controller.abort();
    }
  };
}

it('connects, calls, subscribes and describes through the API', async () => {
  const { url } = await startVsoa();
  const { base } = await startExplorer();

  const connected = await post(base, 'connect', { url });
  expect(connected).toEqual({ status: 200, json: expect.objectContaining({ state: 'connected', target: url, info: { name: 'spec' } }) });

  const call = await post(base, 'call', { url: '/echo', method: 'SET', param: { n: 1 }, data: '00ff', dataEncoding: 'hex' });
  expect(call.status).toBe(200);
  expect(call.json).toMatchObject({ status: 0, statusName: 'SUCCESS', param: { n: 1 }, dataBytes: 2, dataHex: '00ff', dataText: null });

  const text = await post(base, 'call', { url: '/echo', data: 'héllo' });
  expect(text.json).toMatchObject({ dataBytes: 6, dataText: 'héllo' });

  const missing = await post(base, 'call', { url: '/nothing' });
  expect(missing.json).toMatchObject({ status: 3, statusName: 'INVALID_URL' });

  expect((await post(base, 'subscribe', { url: '/a/' })).json).toMatchObject({ subscriptions: ['/a/'] });
  expect((await post(base, 'describe', {})).json).toEqual({
    info: { name: 'spec' },
    commands: ['/echo'],
    publishes: [],
    publishesCut: false,
  });
  expect((await post(base, 'ping', {})).json).toEqual({ rtt: expect.any(Number) });
  expect((await post(base, 'disconnect', {})).json).toMatchObject({ state: 'idle', subscriptions: [] });
});

it("answers the page's mistakes with a status and a message, and does nothing else", async () => {
  const { url } = await startVsoa();
  const { base, session } = await startExplorer();

  expect(await post(base, 'call', { url: '/echo' })).toEqual({
    status: 409,
    json: { error: { code: 'NOT_CONNECTED', message: expect.stringMatching(/not connected/) } },
  });
  expect((await post(base, 'launch', {})).status).toBe(404);
  expect((await post(base, 'connect', {})).json).toEqual({ error: { code: 'BAD_REQUEST', message: 'url must be a non-empty string' } });
  const notJson = await fetch(`${base}api/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"url":' });
  expect(notJson.status).toBe(400);

  const refused = await post(base, 'connect', { url: 'vsoa://127.0.0.1:1' });
  expect(refused.status).toBe(502);
  expect(refused.json).toEqual({ error: { code: expect.any(String), message: expect.stringMatching(/unreachable/) } });
  expect(session.state).toMatchObject({ state: 'idle', problem: expect.stringMatching(/unreachable/) });

  await post(base, 'connect', { url });
  expect((await post(base, 'call', { url: 'echo' })).json).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'invalid URL "echo"' } });
  expect((await post(base, 'call', { url: '/echo', data: 'zz', dataEncoding: 'hex' })).status).toBe(400);
  expect(session.state.state).toBe('connected');
});

it('refuses requests from other sites: a foreign Host header, or a body that is not JSON', async () => {
  const { url } = await startVsoa();
  const { base, session } = await startExplorer();
  const { port } = new URL(base);

  // DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends its own name as Host.
  const rebound = await rawPost(Number(port), 'evil.example:' + port, 'application/json', JSON.stringify({ url }));
  expect(rebound).toBe(421);
  // A cross-site form can send text/plain without asking; it is not obeyed.
  const form = await fetch(`${base}api/connect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ url }),
  });
  expect(form.status).toBe(415);
  expect(session.state.state).toBe('idle');
  // localhost at the right port is this server.
  expect(await rawPost(Number(port), `localhost:${port}`, 'application/json', JSON.stringify({ url }))).toBe(200);
});

it('serves the page and its chart library', async () => {
  const { base } = await startExplorer();
  const page = await fetch(base);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await page.text()).toContain('<title>VSOA Explorer</title>');
  const uplot = await fetch(`${base}vendor/uPlot.js`);
  expect(uplot.status).toBe(200);
  expect(await uplot.text()).toMatch(/uPlot/);
  expect((await fetch(`${base}../../etc/passwd`)).status).toBe(404);
});

it('folds a burst of publishes into a few batches, keeping every count and the last value', async () => {
  const { server, url } = await startVsoa();
  const { base } = await startExplorer();
  await post(base, 'connect', { url });
  await post(base, 'subscribe', { url: '/' });
  const BURST = 5000;

  const batches: FeedBatch[] = [];
  // The stream is open before the burst starts, so it sees the burst as it is folded.
  const readEvents = await openEvents(base);
  const seen = readEvents((event, data) => {
    if (event !== 'topics') return false;
    batches.push(data as FeedBatch);
    const fast = (data as FeedBatch).updates.find((update) => update.url === '/fast');
    return fast?.count === BURST;
  });
  for (let i = 1; i <= BURST; i++) server.publish('/fast', { param: { i } });
  server.publish('/slow', { param: 1 });
  await seen;

  const updates = batches.flatMap((batch) => batch.updates.filter((update) => update.url === '/fast'));
  // Far fewer messages than publishes, none lost from the counts, the last value the newest.
  expect(batches.length).toBeLessThan(BURST / 10);
  expect(updates.reduce((sum, update) => sum + update.delta, 0)).toBe(BURST);
  expect(updates.at(-1)!.param).toEqual({ i: BURST });
  expect(batches.reduce((sum, batch) => sum + batch.sampled, 0)).toBe(BURST - updates.length);
  for (const batch of batches) expect(new Set(batch.updates.map((update) => update.url)).size).toBe(batch.updates.length);
  expect(batches.flatMap((batch) => batch.updates).some((update) => update.url === '/slow')).toBe(true);
});

it('starts a page that opens late from the state and the URLs seen so far', async () => {
  const { server, url } = await startVsoa();
  const { base, session } = await startExplorer();
  await post(base, 'connect', { url });
  await post(base, 'subscribe', { url: '/' });
  const delivered = new Promise<void>((resolve) => session.on('topics', () => resolve()));
  server.publish('/early', { param: { v: 7 } });
  await delivered;

  const first: Array<[string, unknown]> = [];
  await (
    await openEvents(base)
  )((event, data) => first.push([event, data]) === 2);
  expect(first).toEqual([
    ['state', expect.objectContaining({ state: 'connected', subscriptions: ['/'] })],
    ['topics', expect.objectContaining({ updates: [expect.objectContaining({ url: '/early', count: 1, param: { v: 7 } })] })],
  ]);
});

it('finds a service by name through a position server, and connects to vsoa://name', async () => {
  const { server } = await startVsoa();
  const entry = { name: 'spec', addr: '127.0.0.1', port: server.address()!.port, domain: 2 as const, security: false };
  const position = new PositionServer({ table: { spec: entry } });
  await position.listen({ host: '127.0.0.1', port: 0 });
  teardowns.push(() => position.close());
  const lookup = {
    env: { VSOA_POS_SERVER: `127.0.0.1:${position.address()!.port}` },
    posFile: '/nonexistent',
    sources: ['position' as const],
    retryInterval: 100,
  };
  const { base } = await startExplorer({ lookup });

  expect(await post(base, 'lookup', { name: 'spec' })).toEqual({ status: 200, json: entry });
  const unknown = await post(base, 'lookup', { name: 'nobody' });
  expect(unknown).toEqual({ status: 502, json: { error: { code: 'SERVER_NOT_FOUND', message: expect.stringMatching(/^not found/) } } });
  expect((await post(base, 'connect', { url: 'vsoa://spec' })).json).toMatchObject({
    state: 'connected',
    target: 'vsoa://spec',
    info: { name: 'spec' },
  });
});

function rawPost(port: number, host: string, type: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/connect', method: 'POST', headers: { host, 'content-type': type } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
