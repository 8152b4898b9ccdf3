/**
 * Service names and one-shot calls: `vsoa://name` resolved through a position server in
 * connect, fetch and the robot (which resolves again before every reconnect: fail-over), and
 * the one-shot `fetch('vsoa://…/url')`. Interop: the official client and its one-shot fetch
 * against our server and position server, our one-shot fetch against the official server.
 */
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vsoa from 'vsoa';
import { fetch, PositionServer, setPositionServer, VsoaClient, VsoaServer } from '@vsoa/core';
import type { LookupOptions } from '@vsoa/core';
import { ClientVsoa } from '@vsoa/nestjs';
import { firstValueFrom } from 'rxjs';
import { nextEvent } from '../helpers/events';
import { closeOfficial, startOfficial } from '../helpers/official-server';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
/** Keeps lookups off the machine's env and /etc/vsoa.pos, with quick retries. */
const ISOLATED: LookupOptions = { env: {}, posFile: join(tmpdir(), 'vsoa-no-such-file.pos'), retryInterval: 100 };

const teardowns = teardownsAfterEach();
afterEach(() => {
  setPositionServer(null);
});

/** A server answering '/who' with its name and publishing '/tick' to each new subscriber. */
async function startServer(name: string, passwd?: string): Promise<{ server: VsoaServer; port: number }> {
  const server = new VsoaServer({ info: { name }, passwd });
  server.command('/who', (cli, req, payload) => cli.reply(req.seqno, { param: { name, got: payload.param ?? null } }));
  server.command('/never', () => undefined);
  server.on('client', (cli, connected) => {
    if (connected) cli.on('subscribe', () => server.publish('/tick', { param: { from: name } }));
  });
  await server.listen({ host: HOST, port: 0 });
  teardowns.push(() => server.close());
  return { server, port: server.address()!.port };
}

async function startPosition(): Promise<{ position: PositionServer; port: number }> {
  const position = new PositionServer();
  await position.listen({ host: HOST, port: 0 });
  teardowns.push(() => position.close());
  return { position, port: position.address()!.port };
}

function newClient(): VsoaClient {
  const client = new VsoaClient({ timeout: 3000 });
  teardowns.push(() => client.close());
  return client;
}

describe('vsoa://name through a position server', () => {
  it('connects and calls by name; a port in the URL overrides the one looked up', async () => {
    const { port } = await startServer('alpha');
    const pos = await startPosition();
    pos.position.set('alpha', { addr: HOST, port: 1 });
    setPositionServer(HOST, pos.port);
    const client = newClient();
    await expect(client.connect(`vsoa://alpha:${port}`, { lookup: ISOLATED })).resolves.toEqual({ name: 'alpha' });
    pos.position.set('alpha', { addr: HOST, port });
    const other = newClient();
    await other.connect('vsoa://alpha', { lookup: ISOLATED });
    expect((await other.fetch('/who')).payload.param).toEqual({ name: 'alpha', got: null });
  });

  it('rejects an unknown name with SERVER_NOT_FOUND, and a secure entry without tls options', async () => {
    const pos = await startPosition();
    pos.position.set('safe', { addr: HOST, port: 3005, security: true });
    setPositionServer(HOST, pos.port);
    await expect(newClient().connect('vsoa://nobody', { lookup: ISOLATED })).rejects.toMatchObject({ code: 'SERVER_NOT_FOUND' });
    await expect(newClient().connect('vsoa://safe', { lookup: ISOLATED })).rejects.toMatchObject({ code: 'SSL_HS_FAILED' });
  });

  it("lets Nest's ClientVsoa call a service by name", async () => {
    const { port } = await startServer('alpha');
    const pos = await startPosition();
    pos.position.set('alpha', { addr: HOST, port });
    setPositionServer(HOST, pos.port);
    const proxy = new ClientVsoa({ url: 'vsoa://alpha', lookup: ISOLATED, timeout: 3000 });
    teardowns.push(() => proxy.close());
    expect(await firstValueFrom(proxy.send('/who', 'hi'))).toEqual({ name: 'alpha', got: 'hi' });
  });

  it('moves a robot to the standby when the primary dies and the name is switched', async () => {
    const primary = await startServer('primary');
    const standby = await startServer('standby');
    const pos = await startPosition();
    pos.position.set('svc', { addr: HOST, port: primary.port });
    setPositionServer(HOST, pos.port);

    const client = newClient();
    const ticks: string[] = [];
    client.on('message', (_url, payload) => ticks.push((payload.param as { from: string }).from));
    const firstConnect = nextEvent(client, 'connect');
    client.robot('vsoa://svc', { reconnDelay: 50, keepalive: 1000, lookup: ISOLATED });
    await firstConnect;
    const fromPrimary = nextEvent(client, 'message');
    await client.subscribe('/tick');
    await fromPrimary;
    expect(ticks).toEqual(['primary']);

    // The operator's fail-over: the name now points at the standby, and the primary dies.
    pos.position.set('svc', { addr: HOST, port: standby.port });
    const fromStandby = nextEvent(client, 'message', (_url, payload) => (payload as { param: { from: string } }).param.from === 'standby');
    await primary.server.close();
    await fromStandby;
    expect(ticks).toEqual(['primary', 'standby']);
    expect((await client.fetch('/who')).payload.param).toMatchObject({ name: 'standby' });
  });
});

describe('one-shot fetch', () => {
  it('connects, calls and closes', async () => {
    const { server, port } = await startServer('alpha', 'pw');
    const left = nextEvent(server, 'client', (_cli, connected) => !connected);
    const reply = await fetch(`vsoa://${HOST}:${port}/who`, { passwd: 'pw', method: 'SET', payload: { param: [1, 2] } });
    expect(reply).toMatchObject({ status: 0, info: { name: 'alpha' }, payload: { param: { name: 'alpha', got: [1, 2] } } });
    await left;
    expect(server.count).toBe(0);
  });

  it('resolves a name', async () => {
    const { port } = await startServer('beta');
    const pos = await startPosition();
    pos.position.set('beta', { addr: HOST, port });
    setPositionServer(HOST, pos.port);
    const reply = await fetch('vsoa://beta/who', { lookup: ISOLATED });
    expect(reply.payload.param).toEqual({ name: 'beta', got: null });
  });

  it('fails with clear codes: refused, wrong password, no reply in time, bad URL', async () => {
    const { server, port } = await startServer('alpha', 'pw');
    const closed = await startServer('gone');
    await closed.server.close();
    await expect(fetch(`vsoa://${HOST}:${closed.port}/who`)).rejects.toMatchObject({ code: 'CONNECT_ERROR' });
    await expect(fetch(`vsoa://${HOST}:${port}/who`, { passwd: 'nope' })).rejects.toMatchObject({ code: 'INVALID_PASSWD' });
    await expect(fetch(`vsoa://${HOST}:${port}/never`, { passwd: 'pw', timeout: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(fetch(`http://${HOST}:${port}/who`)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Every one-shot connection is gone again.
    if (server.count > 0) await nextEvent(server, 'client', () => server.count === 0);
    expect(server.count).toBe(0);
  });
});

describe('interop: naming and one-shot fetch with the official package', () => {
  it('our one-shot fetch calls an official server', async () => {
    const server = new vsoa.Server({ info: { name: 'official' } });
    server.on('/who', (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc, payload: vsoa.VsoaPayload) =>
      cli.reply(0, req.seqno, { param: { name: 'official', got: payload?.param ?? null } }),
    );
    await startOfficial(server);
    teardowns.push(() => closeOfficial(server));
    const reply = await fetch(`vsoa://${HOST}:${server.address()!.port}/who`, { method: 'SET', payload: { param: { a: 1 } } });
    expect(reply).toMatchObject({ status: 0, info: { name: 'official' }, payload: { param: { name: 'official', got: { a: 1 } } } });
  });

  it('the official one-shot fetch and client find our server by name through our position server', async () => {
    const { port } = await startServer('alpha');
    const pos = await startPosition();
    pos.position.set('alpha', { addr: HOST, port });
    // The official package is told where the position server is in code.
    vsoa.Position.server({ domain: vsoa.AF_INET, addr: HOST, port: pos.port });
    teardowns.push(() => vsoa.Position.server(undefined as unknown as vsoa.SocketAddr));

    const result = await vsoa.fetch('vsoa://alpha/who', { method: vsoa.method.SET }, { param: 'hi' }, 3000);
    expect(result.payload?.param).toEqual({ name: 'alpha', got: 'hi' });

    const client = new vsoa.Client({});
    client.on('error', () => undefined);
    teardowns.push(() => client.close());
    const connected = once(client, 'connect');
    client.connect('vsoa://alpha', undefined, undefined, 3000);
    const [info] = await connected;
    expect(info).toEqual({ name: 'alpha' });
  });
});
