/**
 * The demo app as a user meets it: the same light over HTTP and VSOA, changes published, a file
 * served as a stream, and the official `vsoa` client as the caller.
 */
import 'reflect-metadata';
import './demo-env';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as vsoa from 'vsoa';
import { VsoaClient } from '@vsoa/core';
import { VsoaServerStrategy } from '@vsoa/nestjs';
import { AppModule } from '../../apps/demo/src/app.module';
import { readDigest } from '../helpers/stream-data';

const HOST = '127.0.0.1';
let app: INestApplication;
let http: string;
let vsoaUrl: string;

beforeAll(async () => {
  app = await NestFactory.create(AppModule, { logger: false });
  app.connectMicroservice({ strategy: app.get(VsoaServerStrategy) });
  await app.startAllMicroservices();
  await app.listen(0, HOST);
  http = `http://${HOST}:${(app.getHttpServer().address() as { port: number }).port}`;
  vsoaUrl = `vsoa://${HOST}:${app.get(VsoaServerStrategy).unwrap().address()!.port}`;
});

afterAll(async () => {
  await app?.close();
});

it('shows one light over HTTP and VSOA, and publishes its changes', async () => {
  const client = new VsoaClient({ timeout: 3000 });
  await client.connect(vsoaUrl);
  try {
    await client.subscribe('/light');
    const published = once(client, 'message');
    const put = await fetch(`${http}/light`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"on":true}' });
    expect(put.status).toBe(200);
    const [, payload] = (await published) as [string, { param: { on: boolean } }];
    expect(payload.param.on).toBe(true);
    expect((await client.fetch('/light')).payload.param).toMatchObject({ on: true });
    const bad = await client.fetch('/light', { method: 'SET', payload: { param: 'dim' } });
    expect(bad.status).toBe(2);
  } finally {
    await client.close();
  }
});

it('answers the official vsoa client, as the README shows', async () => {
  const client = new vsoa.Client({});
  client.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) =>
      client.connect(vsoaUrl, (error?: Error) => (error ? reject(error) : resolve()), undefined, 3000),
    );
    const reply = await new Promise<vsoa.VsoaPayload | undefined>((resolve, reject) =>
      client.call(
        '/light',
        { method: 'SET' },
        { param: { brightness: 30 } },
        (error, payload) => (error ? reject(error) : resolve(payload)),
        3000,
      ),
    );
    expect(reply?.param).toMatchObject({ brightness: 30 });
  } finally {
    client.close();
  }
});

it('serves /file as a stream', async () => {
  const client = new VsoaClient({ timeout: 3000 });
  await client.connect(vsoaUrl);
  try {
    const reply = await client.fetch('/file');
    const got = await readDigest(client.createStream(reply.tunid));
    expect(got.bytes).toBe(readFileSync(process.env.DEMO_FILE!).length);
  } finally {
    await client.close();
  }
});

it('serves the RPC histograms and the server counters to Prometheus at GET /metrics', async () => {
  const client = new VsoaClient({ timeout: 3000 });
  await client.connect(vsoaUrl);
  try {
    await client.fetch('/light');
    await client.fetch('/nowhere');
  } finally {
    await client.close();
  }
  const response = await fetch(`${http}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text).toMatch(
    /^rpc_server_call_duration(?:_seconds)?_count\{[^}]*rpc_method="\/light"[^}]*rpc_response_status_code="SUCCESS"[^}]*\} [1-9]/m,
  );
  expect(text).toMatch(
    /^rpc_server_call_duration(?:_seconds)?_count\{[^}]*rpc_method="\/nowhere"[^}]*rpc_response_status_code="INVALID_URL"[^}]*\} 1/m,
  );
  expect(text).toMatch(/^vsoa_server_connections(?:_total)?\{[^}]*\} [1-9]/m);
});
