/**
 * The library supports Nest 11 as well as Nest 12 (see docs/guide.md). Nest 11's transport
 * Server has no `handleRequest`, and its ClientProxy no `createPacket`: here those methods are
 * shadowed on the instance, as Nest 11 would leave them, and calls must still be answered, with
 * the processing hooks run around each (when the Server has them) and the reply intact.
 */
import { firstValueFrom, of } from 'rxjs';
import { VsoaClient } from '@vsoa/core';
import { ClientVsoa, VSOA_TRANSPORT, VsoaContext, VsoaServerStrategy } from '@vsoa/nestjs';
import { teardownsAfterEach } from '../helpers/teardowns';
import { recordLogsEachTest } from './recording-logger';

const HOST = '127.0.0.1';
const teardowns = teardownsAfterEach();
// Keeps the strategy's log lines out of the test output.
recordLogsEachTest();

/** Leaves `name` undefined on `target`, as on a Nest 11 class that has no such method. */
function asInNest11(target: object, name: string): void {
  Object.defineProperty(target, name, { value: undefined, configurable: true, writable: true });
}

async function serve(strategy: VsoaServerStrategy): Promise<string> {
  strategy.addHandler('/sum', async (data: unknown) => (data as number[]).reduce((a, b) => a + b, 0), false);
  strategy.addHandler('/many', async () => of(1, 2, 3), false);
  await new Promise<unknown>((resolve) => strategy.listen(resolve));
  teardowns.push(() => strategy.close());
  return `vsoa://${HOST}:${strategy.unwrap().address()!.port}`;
}

async function connect(url: string): Promise<VsoaClient> {
  const client = new VsoaClient({ timeout: 2000 });
  teardowns.push(() => client.close());
  await client.connect(url);
  return client;
}

describe('on a Nest without handleRequest (Nest 11)', () => {
  it('answers calls, running the processing hooks around each, the end hook once per call', async () => {
    const strategy = new VsoaServerStrategy({ host: HOST, port: 0 });
    asInNest11(strategy, 'handleRequest');
    const seen: string[] = [];
    strategy.setOnProcessingStartHook((transportId, context, done) => {
      seen.push(`start ${transportId === VSOA_TRANSPORT} ${(context as VsoaContext).url}`);
      return done();
    });
    strategy.setOnProcessingEndHook((transportId, context) =>
      seen.push(`end ${transportId === VSOA_TRANSPORT} ${(context as VsoaContext).url}`),
    );
    const client = await connect(await serve(strategy));
    expect((await client.fetch('/sum', { payload: { param: [1, 2, 3] } })).payload.param).toBe(6);
    expect((await client.fetch('/many')).payload.param).toBe(3);
    expect(seen).toEqual(['start true /sum', 'end true /sum', 'start true /many', 'end true /many']);
  });

  it('answers calls when the Server has no processing hooks either', async () => {
    const strategy = new VsoaServerStrategy({ host: HOST, port: 0 });
    asInNest11(strategy, 'handleRequest');
    asInNest11(strategy, 'onProcessingStartHook');
    asInNest11(strategy, 'onProcessingEndHook');
    const client = await connect(await serve(strategy));
    expect((await client.fetch('/sum', { payload: { param: [4, 5] } })).payload.param).toBe(9);
    expect((await client.fetch('/many')).payload.param).toBe(3);
  });
});

describe('on a Nest without ClientProxy.createPacket (Nest 11)', () => {
  it('sends a call over a link that is up with the pattern and data as given', async () => {
    const client = new ClientVsoa({ url: await serve(new VsoaServerStrategy({ host: HOST, port: 0 })), timeout: 2000 });
    teardowns.push(() => client.close());
    await client.connect();
    asInNest11(client, 'createPacket');
    expect(await firstValueFrom(client.send('/sum', [2, 3]))).toBe(5);
  });
});
