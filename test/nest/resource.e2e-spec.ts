/**
 * @VsoaResource as an app uses it: a SET applied by a method of the class (which may refuse it
 * with a status), the default SET's replace-or-merge rules, resources on controllers, providers
 * that are no objects, and a `set` that names no method.
 */
import 'reflect-metadata';
import { Controller, Injectable, INestMicroservice, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { safeAssign, VsoaClient, VsoaStatus } from '@vsoa/core';
import type { VsoaPayload } from '@vsoa/core';
import { VsoaModule, VsoaResource, VsoaServerStrategy } from '@vsoa/nestjs';
import { nextEvent } from '../helpers/events';
import { teardownsAfterEach } from '../helpers/teardowns';

const teardowns = teardownsAfterEach();

/** A light whose SETs go through `apply`, which refuses anything but an object. */
@Injectable()
class Light {
  @VsoaResource('/light', { set: 'apply' })
  state = { on: false };

  readonly applied: Array<{ self: boolean; param: unknown; data?: number[] }> = [];

  apply(param: unknown, payload: VsoaPayload): number | void {
    this.applied.push({ self: this instanceof Light, param, data: payload.data && [...payload.data] });
    if (typeof param !== 'object' || param === null) return VsoaStatus.ARGUMENTS;
    safeAssign(this.state, param as Record<string, unknown>);
  }
}

/** Resources with the default SET. */
@Controller()
class Panel {
  @VsoaResource('/panel/config')
  config: Record<string, unknown> = { mode: 'eco' };

  @VsoaResource('/panel/label')
  label: unknown = null;
}

@Module({
  imports: [VsoaModule.forRoot({ host: '127.0.0.1', port: 0 })],
  controllers: [Panel],
  providers: [Light, { provide: 'NOTHING', useValue: null }, { provide: 'COUNT', useValue: 3 }],
})
class AppModule {}

async function start(module: unknown): Promise<{ app: INestMicroservice; client: VsoaClient }> {
  const moduleRef = await Test.createTestingModule({ imports: [module as typeof AppModule] }).compile();
  const app = moduleRef.createNestMicroservice({ strategy: moduleRef.get(VsoaServerStrategy), logger: false });
  await app.listen();
  const client = new VsoaClient({ timeout: 3000 });
  await client.connect(`vsoa://127.0.0.1:${app.get(VsoaServerStrategy).unwrap().address()!.port}`);
  return { app, client };
}

describe('@VsoaResource', () => {
  let app: INestMicroservice;
  let client: VsoaClient;

  // Booting Nest the first time in a worker is slow on a busy machine: not what these tests time.
  beforeAll(async () => {
    ({ app, client } = await start(AppModule));
  }, 15_000);

  afterAll(async () => {
    await client?.close();
    await app?.close();
  });

  it("applies a SET with the method named by `set`, on the instance, with the call's payload; its status refuses", async () => {
    const light = app.get(Light);
    await client.subscribe('/light');
    const published = nextEvent(client, 'message');
    const accepted = await client.fetch('/light', { method: 'SET', payload: { param: { on: true }, data: Buffer.from([1]) } });
    expect(accepted).toMatchObject({ status: VsoaStatus.SUCCESS, payload: { param: { on: true } } });
    expect((await published)[1]).toMatchObject({ param: { on: true } });

    const refused = await client.fetch('/light', { method: 'SET', payload: { param: 'on' } });
    expect(refused.status).toBe(VsoaStatus.ARGUMENTS);
    expect(light.state).toEqual({ on: true });
    expect(light.applied).toEqual([
      { self: true, param: { on: true }, data: [1] },
      { self: true, param: 'on', data: undefined },
    ]);
    expect((await client.fetch('/light')).payload.param).toEqual({ on: true });
  });

  it('by default merges an object into an object, refuses anything else for it, and replaces a value that is no object', async () => {
    const panel = app.get(Panel);
    expect((await client.fetch('/panel/config', { method: 'SET', payload: { param: { level: 2 } } })).payload.param).toEqual({
      mode: 'eco',
      level: 2,
    });
    for (const param of [[1, 2], 'sport', 7, null]) {
      expect((await client.fetch('/panel/config', { method: 'SET', payload: { param } })).status).toBe(VsoaStatus.ARGUMENTS);
    }
    expect(panel.config).toEqual({ mode: 'eco', level: 2 });

    // null is no object: an object SET replaces it, as does an array or a string.
    expect((await client.fetch('/panel/label', { method: 'SET', payload: { param: { text: 'hi' } } })).payload.param).toEqual({
      text: 'hi',
    });
    expect(panel.label).toEqual({ text: 'hi' });
    for (const param of [['a', 'b'], 'plain']) {
      expect((await client.fetch('/panel/label', { method: 'SET', payload: { param } })).status).toBe(VsoaStatus.ARGUMENTS);
    }
    panel.label = 'text';
    for (const param of [['a', 'b'], 'plain']) {
      expect((await client.fetch('/panel/label', { method: 'SET', payload: { param } })).payload.param).toEqual(param);
    }
    expect(panel.label).toBe('plain');
  });

  it('refuses to start when `set` names no method of the class', async () => {
    @Injectable()
    class Broken {
      @VsoaResource('/broken', { set: 'nope' })
      state = {};
    }
    @Module({ imports: [VsoaModule.forRoot({ host: '127.0.0.1', port: 0 })], providers: [Broken] })
    class BrokenModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BrokenModule] }).compile();
    const app = moduleRef.createNestMicroservice({ strategy: moduleRef.get(VsoaServerStrategy), logger: false });
    teardowns.push(() => app.close());
    await expect(app.init()).rejects.toThrow("@VsoaResource('/broken'): nope is not a method of Broken");
  });
});
