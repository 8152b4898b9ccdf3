/**
 * The Nest transport with real peers and real failures: ClientVsoa riding out a server restart
 * (status, RPC and subscriptions come back by themselves), the official `vsoa` client calling a
 * Nest app, and ClientVsoa calling an official `vsoa` server.
 */
import 'reflect-metadata';
import { once } from 'node:events';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { filter, firstValueFrom, Subject } from 'rxjs';
import * as vsoa from 'vsoa';
import { VsoaClient } from '@vsoa/core';
import type { RemoteClient } from '@vsoa/core';
import {
  ClientVsoa,
  VsoaClientStatus,
  VsoaContext,
  VsoaModule,
  VsoaPublisher,
  VsoaRecord,
  VsoaRecordBuilder,
  VsoaServerStrategy,
} from '@vsoa/nestjs';
import type { VsoaServerStrategyOptions } from '@vsoa/nestjs';
import { disposeTestPki, makeTestPki, TEST_CN } from '../helpers/certs';
import { nextEvent } from '../helpers/events';
import { closeOfficial, startOfficial } from '../helpers/official-server';
import { teardownsAfterEach } from '../helpers/teardowns';

const HOST = '127.0.0.1';
const WAIT_MS = 3000;
const datagrams = new Subject<{ url: string; param: unknown; quick: boolean }>();
const slowStarted = new Subject<void>();
const releaseSlow = new Subject<void>();

@Controller()
class LightController {
  constructor(private readonly publisher: VsoaPublisher) {}

  @MessagePattern('/light')
  light(@Payload() param: unknown, @Ctx() ctx: VsoaContext): unknown {
    if (ctx.method === 'SET') this.publisher.publish('/light', param);
    return { method: ctx.method, param: param ?? null };
  }

  /** Answers only once the test releases it. */
  @MessagePattern('/slow')
  async slow(): Promise<string> {
    slowStarted.next();
    await firstValueFrom(releaseSlow);
    return 'finished';
  }

  @EventPattern<string>('/sensor/')
  sensor(@Payload() param: unknown, @Ctx() ctx: VsoaContext): void {
    datagrams.next({ url: ctx.url, param, quick: ctx.quick });
  }
}

async function startApp(
  port: number,
  options: VsoaServerStrategyOptions = { host: HOST, port },
): Promise<{ app: INestMicroservice; port: number }> {
  @Module({ imports: [VsoaModule.forRoot({ info: { name: 'nest' }, ...options })], controllers: [LightController] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const strategy = moduleRef.get(VsoaServerStrategy);
  const app = moduleRef.createNestMicroservice({ strategy });
  await app.listen();
  return { app, port: strategy.unwrap().address()!.port };
}

/** Resolves once some client of the app is subscribed to `url`. */
function subscribedOn(app: INestMicroservice, url: string): Promise<void> {
  const strategy = app.get(VsoaServerStrategy);
  const server = strategy.unwrap();
  return new Promise((resolve) => {
    const check = (): void => {
      if (!strategy.isSubscribed(url)) return;
      server.off('client', watch);
      resolve();
    };
    const watch = (cli: RemoteClient): void => void cli.on('subscribe', check);
    server.on('client', watch);
    for (const cli of server.clients()) watch(cli);
    check();
  });
}

function setRecord(param: unknown): VsoaRecord {
  return new VsoaRecordBuilder(param).setMethod('SET').build();
}

const teardowns = teardownsAfterEach();

describe('ClientVsoa across a server restart', () => {
  it('reconnects, reports its status, and keeps its subscriptions', async () => {
    const first = await startApp(0);
    let current = first.app;
    teardowns.push(() => current.close());
    const proxy = new ClientVsoa({ url: `vsoa://${HOST}:${first.port}`, timeout: WAIT_MS, keepalive: 200, reconnDelay: 50 });
    teardowns.push(() => proxy.close());
    const statuses: string[] = [];
    proxy.status.subscribe((status) => statuses.push(status));
    await proxy.connect();

    const messages: unknown[] = [];
    const core = proxy.unwrap<VsoaClient>();
    const subscribed = subscribedOn(first.app, '/light');
    const subscription = proxy.subscribe('/light').subscribe((message) => messages.push(message.param));
    teardowns.push(() => subscription.unsubscribe());
    await subscribed;
    expect(await firstValueFrom(proxy.send('/light', setRecord({ on: 1 })))).toEqual({ method: 'SET', param: { on: 1 } });

    // The server goes down, and comes back on the same port.
    const reconnecting = firstValueFrom(proxy.status.pipe(filter((s) => s === VsoaClientStatus.RECONNECTING)));
    await first.app.close();
    await reconnecting;
    const back = nextEvent(core, 'connect', () => true, 5000);
    const second = await startApp(first.port);
    current = second.app;
    await back;
    expect(statuses).toEqual([VsoaClientStatus.CONNECTED, VsoaClientStatus.RECONNECTING, VsoaClientStatus.CONNECTED]);

    // The robot re-subscribed by itself, and RPC works again: a SET publishes to us.
    await subscribedOn(second.app, '/light');
    const published = nextEvent(core, 'message', (u) => u === '/light');
    expect(await firstValueFrom(proxy.send('/light', setRecord({ on: 2 })))).toEqual({ method: 'SET', param: { on: 2 } });
    await published;
    expect(messages).toEqual([{ on: 1 }, { on: 2 }]);
  });
});

describe('TLS and a password, configured by URL', () => {
  afterAll(() => disposeTestPki());

  it('serves a Nest app over TLS with a password, and ClientVsoa calls it', async () => {
    const pki = await makeTestPki();
    const { app, port } = await startApp(0, {
      url: `vsoa://${HOST}:0`,
      passwd: 'secret',
      tls: { key: pki.server.key, cert: pki.server.cert },
    });
    teardowns.push(() => app.close());
    const proxy = new ClientVsoa({
      url: `vsoa://${HOST}:${port}`,
      passwd: 'secret',
      tls: { ca: pki.ca },
      timeout: WAIT_MS,
      reconnect: false,
    });
    teardowns.push(() => proxy.close());
    expect(await firstValueFrom(proxy.send('/light', { on: true }))).toEqual({ method: 'GET', param: { on: true } });
    expect(proxy.unwrap<VsoaClient>().peerCertificate()?.subject.CN).toBe(TEST_CN.server);

    const wrong = new ClientVsoa({ url: `vsoa://${HOST}:${port}`, passwd: 'nope', tls: { ca: pki.ca }, reconnect: false });
    teardowns.push(() => wrong.close());
    await expect(wrong.connect()).rejects.toMatchObject({ code: 'INVALID_PASSWD' });
  });
});

describe('graceful shutdown', () => {
  it('app.close() lets a call in flight answer, and refuses new ones meanwhile', async () => {
    const { app, port } = await startApp(0);
    const client = new VsoaClient({ timeout: WAIT_MS });
    teardowns.push(() => client.close());
    await client.connect(`vsoa://${HOST}:${port}`);
    const started = firstValueFrom(slowStarted);
    const slow = client.fetch('/slow');
    await started;
    const dropped = nextEvent(client, 'disconnect');
    const closed = app.close();
    // The strategy is draining: a new call gets NO_RESPONDING at once.
    expect((await client.fetch('/light')).status).toBe(4);
    releaseSlow.next();
    expect((await slow).payload.param).toBe('finished');
    await closed;
    // Once drained, the server lets the client go.
    await dropped;
    expect(client.connected).toBe(false);
  });
});

describe('interop: the official vsoa client calling a Nest app', () => {
  it('makes GET and SET calls, subscribes to what handlers publish, and sends datagrams', async () => {
    const { app, port } = await startApp(0);
    teardowns.push(() => app.close());
    const client = new vsoa.Client({});
    client.on('error', () => undefined);
    teardowns.push(() => client.close());
    await new Promise<void>((resolve, reject) =>
      client.connect(`vsoa://${HOST}:${port}`, (error?: Error) => (error ? reject(error) : resolve()), undefined, WAIT_MS),
    );
    const call = (method: 'GET' | 'SET', param?: object): Promise<vsoa.VsoaPayload | undefined> =>
      new Promise((resolve, reject) =>
        client.call(
          '/light',
          { method },
          param === undefined ? undefined : { param },
          (error, payload) => (error ? reject(error) : resolve(payload)),
          WAIT_MS,
        ),
      );
    expect((await call('GET'))?.param).toEqual({ method: 'GET', param: null });

    await new Promise<void>((resolve, reject) =>
      client.subscribe('/light', (error?: Error) => (error ? reject(error) : resolve()), WAIT_MS),
    );
    const published = once(client, 'message');
    expect((await call('SET', { on: true }))?.param).toEqual({ method: 'SET', param: { on: true } });
    const [publishedUrl, publishedPayload] = (await published) as [string, vsoa.VsoaPayload];
    expect(publishedUrl).toBe('/light');
    expect(publishedPayload.param).toEqual({ on: true });

    const got = firstValueFrom(datagrams);
    client.datagram('/sensor/speed', { param: { kmh: 88 } });
    expect(await got).toEqual({ url: '/sensor/speed', param: { kmh: 88 }, quick: false });
  });
});

describe('interop: ClientVsoa calling an official vsoa server', () => {
  it('sends RPCs, emits datagrams and subscribes to publishes', async () => {
    const server = new vsoa.Server({ info: { name: 'official' } });
    const received: Array<{ url: string; param: unknown }> = [];
    const gotDatagram = new Subject<void>();
    const officialClient = new Promise<[vsoa.RemoteClient]>((resolve) => {
      server.onclient = (cli: vsoa.RemoteClient, connected: boolean) => connected && resolve([cli]);
    });
    server.ondata = (_cli: vsoa.RemoteClient, url: string, payload: vsoa.VsoaPayload) => {
      received.push({ url, param: payload?.param });
      gotDatagram.next();
    };
    server.on('/echo', (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc, payload: vsoa.VsoaPayload) => cli.reply(0, req.seqno, payload));
    server.on('/teapot', (cli: vsoa.RemoteClient, req: vsoa.VsoaRpc) => cli.reply(130, req.seqno, { param: { error: 'teapot' } }));
    await startOfficial(server);
    teardowns.push(() => closeOfficial(server));

    const proxy = new ClientVsoa({ url: `vsoa://${HOST}:${server.address()!.port}`, timeout: WAIT_MS });
    teardowns.push(() => proxy.close());
    expect(await firstValueFrom(proxy.send('/echo', { a: 1 }))).toEqual({ a: 1 });
    await expect(firstValueFrom(proxy.send('/teapot', {}))).rejects.toMatchObject({ status: 130 });

    const datagram = firstValueFrom(gotDatagram);
    await firstValueFrom(proxy.emit('/sensor/x', { v: 2 }), { defaultValue: undefined });
    await datagram;
    expect(received).toEqual([{ url: '/sensor/x', param: { v: 2 } }]);

    const message = firstValueFrom(proxy.subscribe('/a/'));
    const [remote] = await officialClient;
    await once(remote, 'subscribe');
    server.publish('/a/b', { param: { p: 1 } });
    expect(await message).toEqual({ url: '/a/b', param: { p: 1 }, data: undefined, quick: false });
  });
});
