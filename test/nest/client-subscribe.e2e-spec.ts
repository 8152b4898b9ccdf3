import { firstValueFrom, Subscription } from 'rxjs';
import { VsoaClient, VsoaServer, VsoaStatus } from '@vsoa/core';
import { ClientVsoa, VsoaClientStatus, VsoaMessage } from '@vsoa/nestjs';
import { nextEvent } from '../helpers/events';
import { refusingSubscriptions } from '../helpers/fake-server';
import { teardownsAfterEach } from '../helpers/teardowns';
import { freePort } from '../helpers/addresses';

const teardowns = teardownsAfterEach();

async function startServer(port: number): Promise<VsoaServer> {
  const server = new VsoaServer({ info: { name: 'car' } });
  await server.listen({ host: '127.0.0.1', port });
  teardowns.push(() => server.close());
  return server;
}

function newClient(options: ConstructorParameters<typeof ClientVsoa>[0]): ClientVsoa {
  const client = new ClientVsoa(options);
  teardowns.push(() => client.close());
  return client;
}

/** Resolves with the next URL whose subscription the server accepted. */
function nextSubscribed(client: ClientVsoa): Promise<string> {
  return new Promise((resolve) => client.on('subscribed', resolve));
}

describe('ClientVsoa.subscribe()', () => {
  it('made before the server is up, waits for the robot and delivers once connected', async () => {
    const port = await freePort();
    const client = newClient({ url: `vsoa://127.0.0.1:${port}`, reconnDelay: 50, connTimeout: 500 });
    const statuses: string[] = [];
    client.status.subscribe((status) => statuses.push(status));
    const failedAttempt = new Promise<Error>((resolve) => client.on('connectError', resolve));
    const accepted = nextSubscribed(client);
    let errored: unknown;
    const first = firstValueFrom(client.subscribe<number>('/sensor/')).catch((error: unknown) => (errored = error));

    // A connect attempt failed, and the subscription is still waiting, not failed.
    expect(await failedAttempt).toMatchObject({ code: 'CONNECT_ERROR' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(errored).toBeUndefined();

    const server = await startServer(port);
    expect(await accepted).toBe('/sensor/');
    expect(server.isSubscribed('/sensor/speed')).toBe(true);
    server.publish('/sensor/speed', { param: 50 });
    expect(await first).toEqual<VsoaMessage<number>>({ url: '/sensor/speed', param: 50, data: undefined, quick: false });
    expect(statuses).toEqual([VsoaClientStatus.RECONNECTING, VsoaClientStatus.CONNECTED]);
  });

  it('tells again when the robot renews the subscription after a restart', async () => {
    const port = await freePort();
    let server = await startServer(port);
    const client = newClient({ url: `vsoa://127.0.0.1:${port}`, reconnDelay: 50, connTimeout: 500 });
    const accepted = nextSubscribed(client);
    const messages: Array<VsoaMessage<string>> = [];
    const subscription: Subscription = client.subscribe<string>('/news').subscribe((message) => messages.push(message));
    teardowns.push(() => subscription.unsubscribe());
    await accepted;

    const dropped = nextEvent(client.unwrap(), 'disconnect');
    await server.close();
    await dropped;
    const renewed = nextSubscribed(client);
    server = await startServer(port);
    expect(await renewed).toBe('/news');
    const delivered = nextEvent(client.unwrap(), 'message');
    server.publish('/news', { param: 'back' });
    await delivered;
    expect(messages.map((message) => message.param)).toEqual(['back']);
  });

  it('does not renew a URL whose last observer left while the link was down', async () => {
    const port = await freePort();
    let server = await startServer(port);
    const client = newClient({ url: `vsoa://127.0.0.1:${port}`, reconnDelay: 50, connTimeout: 500 });
    const both = new Promise<void>((resolve) => {
      const seen = new Set<string>();
      client.on('subscribed', (url: string) => seen.add(url).size === 2 && resolve());
    });
    const news = client.subscribe('/news').subscribe();
    const kept = client.subscribe('/kept').subscribe();
    teardowns.push(() => kept.unsubscribe());
    await both;

    const dropped = nextEvent(client.unwrap(), 'disconnect');
    await server.close();
    await dropped;
    news.unsubscribe();
    const renewed = nextSubscribed(client);
    server = await startServer(port);
    expect(await renewed).toBe('/kept');
    // The renewal's SUBSCRIBEs went out together; a ping's answer comes after all of them.
    await client.unwrap<VsoaClient>().ping(2000);
    expect(server.isSubscribed('/kept')).toBe(true);
    expect(server.isSubscribed('/news')).toBe(false);
    expect(client.unwrap<VsoaClient>().subscribed()).toEqual(['/kept']);
  });

  it('errors with the status when the server refuses the subscription', async () => {
    const fake = refusingSubscriptions(VsoaStatus.INVALID_URL);
    teardowns.push(() => fake.close());
    const client = newClient({ url: `vsoa://127.0.0.1:${await fake.listen()}` });
    await expect(firstValueFrom(client.subscribe('/nothing'))).rejects.toMatchObject({
      name: 'VsoaStatusError',
      status: VsoaStatus.INVALID_URL,
    });
  });

  it('with reconnect: false, errors when the one connect attempt fails', async () => {
    const client = newClient({ url: `vsoa://127.0.0.1:${await freePort()}`, reconnect: false, connTimeout: 500 });
    await expect(firstValueFrom(client.subscribe('/sensor/'))).rejects.toMatchObject({ code: 'CONNECT_ERROR' });
  });
});
