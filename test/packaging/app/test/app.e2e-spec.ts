/**
 * A fresh Nest app written from the README, on the packed @vsoa/core and @vsoa/nestjs, tested as
 * its author would: the hybrid app of src/, called over VSOA (ClientVsoa, VsoaClient) and HTTP.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { firstValueFrom, Subscription, take, toArray } from 'rxjs';
import { PositionServer, setPositionServer, VsoaClient, VsoaStatus } from '@vsoa/core';
import { ClientVsoa, VsoaClientStatus, VsoaRecordBuilder, VsoaRpcError } from '@vsoa/nestjs';
import { ArmLog, Calibration } from '../src/arm';
import { Received, startCollector } from '../src/collector';
import { Readings } from '../src/light.controller';
import { bootstrap, vsoaPort } from '../src/main';
import { disposeTestPki, makeTestPki } from './certs';

const PASSWD = 's3cret';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startApp(env: Record<string, string> = {}): Promise<INestApplication> {
  Object.assign(process.env, { VSOA_PASSWD: PASSWD, VSOA_PORT: '0', VSOA_TLS_DIR: '' }, env);
  return bootstrap();
}

function json(body: unknown): RequestInit {
  return { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

describe('the README app, on the packed libraries', () => {
  let app: INestApplication;
  let url: string;
  let car: ClientVsoa;

  beforeAll(async () => {
    app = await startApp();
    url = `vsoa://127.0.0.1:${vsoaPort(app)}`;
    car = new ClientVsoa({ url, passwd: PASSWD, timeout: 3000 });
    await car.connect();
  });

  afterAll(async () => {
    await car?.close();
    await app?.close();
  });

  it('serves the light over VSOA and HTTP alike', async () => {
    const set = new VsoaRecordBuilder({ on: true, brightness: 30 }).setMethod('SET').build();
    expect(await firstValueFrom(car.send('/light', set))).toEqual({ on: true, brightness: 30 });
    expect(await (await fetch(`${await app.getUrl()}/light`)).json()).toEqual({ on: true, brightness: 30 });
    const put = await fetch(`${await app.getUrl()}/light`, json({ brightness: 5 }));
    expect(await put.json()).toEqual({ on: true, brightness: 5 });
    expect(await firstValueFrom(car.send('/light', {}))).toEqual({ on: true, brightness: 5 });
    // A GET without a param passes the validation too.
    const client = new VsoaClient();
    cleanups.push(() => client.close());
    await client.connect(url, { passwd: PASSWD });
    expect(await client.fetch('/light')).toMatchObject({ status: 0, payload: { param: { on: true, brightness: 5 } } });
  });

  it('answers failures with their statuses, and validation errors with the messages HTTP gives', async () => {
    const tooBright = { on: true, brightness: 101 };
    const http = await fetch(`${await app.getUrl()}/light`, json(tooBright));
    expect(http.status).toBe(400);
    const body: unknown = await http.json();

    const error = await firstValueFrom(car.send('/light', new VsoaRecordBuilder(tooBright).setMethod('SET').build())).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VsoaRpcError);
    expect(error).toMatchObject({
      status: VsoaStatus.ARGUMENTS,
      message: 'brightness must not be greater than 100',
      payload: { param: body },
    });

    const client = new VsoaClient({ timeout: 3000 });
    cleanups.push(() => client.close());
    await client.connect(url, { passwd: PASSWD });
    expect(await client.fetch('/teapot')).toMatchObject({ status: 130, payload: { param: { error: 'I am a teapot' } } });
    expect((await client.fetch('/guarded')).status).toBe(VsoaStatus.NO_PERMISSIONS);
    expect(await client.fetch('/bug')).toMatchObject({
      status: VsoaStatus.NO_RESPONDING,
      payload: { param: { error: 'the lamp driver crashed' } },
    });
    expect((await client.fetch('/nothing')).status).toBe(VsoaStatus.INVALID_URL);
  });

  it('refuses a wrong password', async () => {
    const client = new VsoaClient();
    cleanups.push(() => client.close());
    await expect(client.connect(url, { passwd: 'wrong' })).rejects.toMatchObject({ code: 'INVALID_PASSWD' });
  });

  it('delivers datagrams, reliable and quick, to the @EventPattern handler', async () => {
    const got = firstValueFrom(app.get(Readings).datagrams.pipe(take(2), toArray()));
    await firstValueFrom(car.emit('/sensor/speed', { kmh: 50 }), { defaultValue: undefined });
    await firstValueFrom(car.emit('/sensor/temp', new VsoaRecordBuilder(21).setQuick().build()), { defaultValue: undefined });
    const seen = (await got).sort((a, b) => a.url.localeCompare(b.url));
    expect(seen).toEqual([
      { url: '/sensor/speed', param: { kmh: 50 }, quick: false },
      { url: '/sensor/temp', param: 21, quick: true },
    ]);
  });

  it('publishes to ClientVsoa subscribers, saying when the server took the subscription', async () => {
    const taken = new Promise<string>((resolve) => car.on('subscribed', resolve));
    const message = firstValueFrom(car.subscribe<{ on: boolean }>('/light'));
    expect(await taken).toBe('/light');
    await fetch(`${await app.getUrl()}/light`, json({ on: true, brightness: 70 }));
    expect(await message).toEqual({ url: '/light', param: { on: true, brightness: 70 }, data: undefined, quick: false });
  });

  it('feeds a second app that consumes the publishes with VsoaSubscriberStrategy', async () => {
    const { app: collector, strategy } = await startCollector(url, PASSWD);
    cleanups.push(() => collector.close());
    await new Promise<void>((resolve) => strategy.on('subscribed', () => resolve()));
    const received = firstValueFrom(collector.get(Received).lights);
    await fetch(`${await app.getUrl()}/light`, json({ on: true, brightness: 80 }));
    expect(await received).toEqual({ light: { on: true, brightness: 80 }, upstream: url, name: 'car' });
  });

  it('runs work-queue handlers one at a time, and the jobs the app adds between them', async () => {
    const log = app.get(ArmLog).entries;
    log.length = 0;
    const moves = [1, 2, 3].map((n) => firstValueFrom(car.send('/arm/move', n)));
    app.get(Calibration).calibrate();
    expect(await Promise.all(moves)).toEqual([1, 2, 3]);
    await new Promise<void>((resolve) => {
      const check = (): void => (log.includes('calibrate-') ? resolve() : void setImmediate(check));
      check();
    });
    // Every start is followed by its own end: nothing overlapped.
    for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe(log[i].replace('+', '-'));
    expect(log).toHaveLength(8);
  });

  it('streams a Readable reply to the caller', async () => {
    const stream = await firstValueFrom(car.send<Duplex>('/log', {}));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('line 1\nline 2\n');
  });

  it('makes a fresh request-scoped controller per call, with the request context', async () => {
    const first = await firstValueFrom(car.send<{ instance: number; pattern: string; url: string; data: unknown }>('/scoped/a', { n: 1 }));
    const second = await firstValueFrom(car.send<{ instance: number; pattern: string; url: string; data: unknown }>('/scoped/b', { n: 2 }));
    expect(first).toMatchObject({ pattern: '/scoped/', url: '/scoped/a', data: { n: 1 } });
    expect(second).toMatchObject({ pattern: '/scoped/', url: '/scoped/b', data: { n: 2 } });
    expect(second.instance).toBeGreaterThan(first.instance);
  });

  it('answers /health through Terminus', async () => {
    const health = (await (await fetch(`${await app.getUrl()}/health`)).json()) as { status: string; info: { vsoa: { status: string } } };
    expect(health).toMatchObject({ status: 'ok', info: { vsoa: { status: 'up' } } });
  });
});

describe('the README app found by name', () => {
  it('is reached as vsoa://car through a position server answering from code', async () => {
    const app = await startApp();
    cleanups.push(() => app.close());
    const position = new PositionServer((query, reply) => reply(query.name === 'car' ? { addr: '127.0.0.1', port: vsoaPort(app) } : null));
    await position.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => position.close());
    setPositionServer('127.0.0.1', position.address()!.port);
    cleanups.push(() => setPositionServer(null));
    const car = new ClientVsoa({ url: 'vsoa://car', passwd: PASSWD });
    cleanups.push(() => car.close());
    expect(await firstValueFrom(car.send('/light', {}))).toEqual({ on: false, brightness: 0 });
  });
});

describe('the README app over TLS', () => {
  afterAll(() => disposeTestPki());

  it('serves ClientVsoa callers that trust its CA', async () => {
    const pki = await makeTestPki();
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'key.pem'), pki.server.key);
    writeFileSync(join(dir, 'cert.pem'), pki.server.cert);
    const app = await startApp({ VSOA_TLS_DIR: dir });
    cleanups.push(() => app.close());
    const car = new ClientVsoa({ url: `vsoa://127.0.0.1:${vsoaPort(app)}`, passwd: PASSWD, tls: { ca: pki.ca } });
    cleanups.push(() => car.close());
    expect(await firstValueFrom(car.send('/light', {}))).toEqual({ on: false, brightness: 0 });
    expect(car.unwrap<VsoaClient>().peerCertificate()?.subject.CN).toBe('localhost');

    const untrusting = new VsoaClient();
    cleanups.push(() => untrusting.close());
    await expect(untrusting.connect(`vsoa://127.0.0.1:${vsoaPort(app)}`, { passwd: PASSWD, tls: {} })).rejects.toMatchObject({
      code: 'SSL_HS_FAILED',
    });
  });
});

describe('the README app shutting down and coming back', () => {
  it('answers the calls in flight when closed, and its callers reconnect and re-subscribe', async () => {
    let app = await startApp();
    const port = vsoaPort(app);
    const car = new ClientVsoa({ url: `vsoa://127.0.0.1:${port}`, passwd: PASSWD, timeout: 5000, reconnDelay: 100 });
    cleanups.push(() => car.close());
    const statuses: string[] = [];
    car.status.subscribe((status) => statuses.push(status));
    const lights: unknown[] = [];
    const taken = new Promise<void>((resolve) => car.on('subscribed', () => resolve()));
    const subscription: Subscription = car.subscribe('/light').subscribe(({ param }) => lights.push(param));
    cleanups.push(() => subscription.unsubscribe());
    await taken;

    // app.close() lets the call in flight finish before the connections close.
    const started = firstValueFrom(app.get(Readings).slowStarted);
    const slow = firstValueFrom(car.send('/slow', 100));
    await started;
    const dropped = new Promise<void>((resolve) => car.on('disconnect', () => resolve()));
    await app.close();
    expect(await slow).toBe('done');
    await dropped;

    // A caller that subscribes while the app is down is served once it is back.
    const late = new ClientVsoa({ url: `vsoa://127.0.0.1:${port}`, passwd: PASSWD, reconnDelay: 100 });
    cleanups.push(() => late.close());
    const lateTaken = new Promise<void>((resolve) => late.on('subscribed', () => resolve()));
    const lateLight = firstValueFrom(late.subscribe('/light'));

    const renewed = new Promise<void>((resolve) => car.on('subscribed', () => resolve()));
    app = await startApp({ VSOA_PORT: String(port) });
    cleanups.push(() => app.close());
    await Promise.all([renewed, lateTaken]);
    const delivered = new Promise<void>((resolve) => car.unwrap<VsoaClient>().once('message', () => resolve()));
    await fetch(`${await app.getUrl()}/light`, json({ on: true, brightness: 1 }));
    await delivered;
    expect(lights).toEqual([{ on: true, brightness: 1 }]);
    expect((await lateLight).param).toEqual({ on: true, brightness: 1 });
    expect(statuses).toEqual([VsoaClientStatus.CONNECTED, VsoaClientStatus.RECONNECTING, VsoaClientStatus.CONNECTED]);
  });
});
