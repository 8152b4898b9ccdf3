import { VsoaServer } from '../server/server';
import { VsoaClient } from './client';
import { collectUntil, nextEvent } from '../../../../test/helpers/events';

describe('client.regulate', () => {
  let server: VsoaServer;
  let client: VsoaClient;

  beforeEach(async () => {
    server = new VsoaServer();
    await server.listen({ host: '127.0.0.1', port: 0 });
    client = new VsoaClient({ timeout: 3000 });
    await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
    await client.subscribe(['/sensor/', '/other']);
  });

  afterEach(async () => {
    jest.useRealTimers();
    await client.close();
    await server.close();
  });

  /** Publishes 1..n on each URL, then a marker on '/other'. */
  function burst(urls: string[], n: number): void {
    for (let i = 1; i <= n; i++) for (const url of urls) server.publish(url, { param: i });
    server.publish('/other', { param: 'marker' });
  }

  it('delivers only the latest message per URL per interval; other URLs pass untouched', async () => {
    client.regulate('/sensor/', 200);
    const latest = new Map<string, unknown>();
    const seen = collectUntil<[string, { param?: unknown }]>(
      client,
      'message',
      (url, payload) => {
        latest.set(url, payload.param);
        return latest.get('/sensor/a') === 100 && latest.get('/sensor/b') === 100;
      },
      5000,
    );
    burst(['/sensor/a', '/sensor/b'], 100);
    const messages = await seen;
    const byUrl = (url: string): unknown[] => messages.filter(([u]) => u === url).map(([, p]) => p.param);
    // The burst may straddle one tick: at most one earlier value, then the last.
    for (const url of ['/sensor/a', '/sensor/b']) {
      expect(byUrl(url).length).toBeLessThanOrEqual(2);
      expect(byUrl(url).at(-1)).toBe(100);
    }
    expect(byUrl('/other')).toEqual(['marker']);
  });

  it('stops regulating with unregulate()', async () => {
    client.regulate('/sensor/', 200);
    expect(client.unregulate('/sensor/')).toBe(true);
    expect(client.unregulate('/sensor/')).toBe(false);
    const seen = collectUntil<[string]>(client, 'message', (url) => url === '/other');
    burst(['/sensor/a'], 20);
    expect((await seen).filter(([url]) => url === '/sensor/a')).toHaveLength(20);
  });

  it('refuses a bad interval or URL', () => {
    expect(() => client.regulate('/x', 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => client.regulate('x', 10)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('hands on what it held back at the next tick, and drops it when the client closes', async () => {
    // Fake time for the regulator's ticks; the sockets stay real.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'hrtime'] });
    client.regulate('/sensor/', 1000);
    const delivered: unknown[] = [];
    client.on('message', (url, payload) => {
      if (url === '/sensor/a') delivered.push(payload.param);
    });
    /** Publishes `param` on '/sensor/a' and waits until the client has it (the marker behind it came). */
    const held = async (param: number): Promise<void> => {
      const marker = nextEvent(client, 'message', (url) => url === '/other');
      server.publish('/sensor/a', { param });
      server.publish('/other', { param: 'marker' });
      await marker;
    };
    await held(1);
    expect(delivered).toEqual([]);
    jest.advanceTimersByTime(1000);
    expect(delivered).toEqual([1]);

    await held(2);
    await client.close();
    jest.advanceTimersByTime(5000);
    expect(delivered).toEqual([1]);
  });
});
