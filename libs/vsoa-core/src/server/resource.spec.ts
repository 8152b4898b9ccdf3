import { VsoaClient } from '../client/client';
import { VsoaStatus } from '../protocol/constants';
import { VsoaServer } from './server';
import { nextEvent } from '../../../../test/helpers/events';

describe('server.resource', () => {
  let server: VsoaServer;
  let client: VsoaClient;
  const light = { on: false, brightness: 50 };

  beforeEach(async () => {
    Object.assign(light, { on: false, brightness: 50 });
    server = new VsoaServer();
    server.resource('/light', { get: () => light });
    server.resource('/dimmer', {
      get: () => light.brightness,
      set: (param) => {
        if (typeof param !== 'number' || param < 0 || param > 100) return VsoaStatus.ARGUMENTS;
        light.brightness = param;
      },
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    client = new VsoaClient({ timeout: 3000 });
    await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('answers GET with the state', async () => {
    expect((await client.fetch('/light')).payload.param).toEqual({ on: false, brightness: 50 });
  });

  it('merges a SET into the state, answers the new state and publishes it', async () => {
    await client.subscribe('/light');
    const published = nextEvent(client, 'message');
    const reply = await client.fetch('/light', { method: 'SET', payload: { param: { on: true } } });
    expect(reply).toMatchObject({ status: 0, payload: { param: { on: true, brightness: 50 } } });
    const [url, payload] = await published;
    expect(url).toBe('/light');
    expect(payload).toEqual({ param: { on: true, brightness: 50 } });
    expect(light.on).toBe(true);
  });

  it('lets a set hook apply or refuse; a refused or empty SET changes and publishes nothing', async () => {
    await client.subscribe(['/dimmer', '/light']);
    const messages: string[] = [];
    client.on('message', (url, payload) => messages.push(`${url}=${JSON.stringify(payload.param)}`));
    expect((await client.fetch('/dimmer', { method: 'SET', payload: { param: 500 } })).status).toBe(VsoaStatus.ARGUMENTS);
    expect(await client.fetch('/dimmer', { method: 'SET' })).toMatchObject({
      status: VsoaStatus.ARGUMENTS,
      payload: { param: { error: 'SET needs a param' } },
    });
    expect(await client.fetch('/light', { method: 'SET' })).toMatchObject({
      status: VsoaStatus.ARGUMENTS,
      payload: { param: { error: 'SET needs a param' } },
    });
    expect((await client.fetch('/light', { method: 'SET', payload: { param: 'on' } })).status).toBe(VsoaStatus.ARGUMENTS);
    // Neither null nor an array is an object whose keys could be merged.
    expect((await client.fetch('/light', { method: 'SET', payload: { param: Buffer.from('null') } })).status).toBe(VsoaStatus.ARGUMENTS);
    expect((await client.fetch('/light', { method: 'SET', payload: { param: [true] } })).status).toBe(VsoaStatus.ARGUMENTS);
    const marker = nextEvent(client, 'message', (url) => url === '/dimmer');
    expect((await client.fetch('/dimmer', { method: 'SET', payload: { param: 80 } })).payload.param).toBe(80);
    await marker;
    // Only the accepted SET was published.
    expect(messages).toEqual(['/dimmer=80']);
    expect(light.brightness).toBe(80);
  });

  it('never merges __proto__, constructor or prototype: the state keeps its prototype', async () => {
    // As the bytes arrive from a hostile client: JSON.parse makes "__proto__" an own key.
    const hostile = Buffer.from(
      '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":true}},"prototype":{"x":1},"on":true}',
    );
    const reply = await client.fetch('/light', { method: 'SET', payload: { param: hostile } });
    expect(reply.status).toBe(0);
    expect(Object.getPrototypeOf(light)).toBe(Object.prototype);
    expect((light as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(light).sort()).toEqual(['brightness', 'on']);
    expect(light.on).toBe(true);
  });
});
