import { VsoaClient } from '../client/client';
import { VsoaStatus } from '../protocol/constants';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';
import { DESCRIBE_URL, MAX_DESCRIBED_PUBLISHES } from './description';
import { VsoaServer } from './server';
import type { VsoaServerOptions } from './types';

const teardowns = teardownsAfterEach();

async function serve(options: VsoaServerOptions): Promise<{ server: VsoaServer; client: VsoaClient }> {
  const server = new VsoaServer(options);
  await server.listen({ host: '127.0.0.1', port: 0 });
  const client = new VsoaClient({ timeout: 3000 });
  await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
  teardowns.push(
    () => server.close(),
    () => client.close(),
  );
  return { server, client };
}

it('is off by default: the URL is as unknown as any other', async () => {
  const { server, client } = await serve({});
  server.command('/a', (cli, req) => cli.reply(req.seqno));
  expect(DESCRIBE_URL).toBe('/.vsoa/describe');
  expect((await client.fetch(DESCRIBE_URL)).status).toBe(VsoaStatus.INVALID_URL);
});

it('lists the commands served and the URLs published on, and follows changes', async () => {
  const { server, client } = await serve({ describe: true, info: { name: 'car' } });
  server.command('/b', (cli, req) => cli.reply(req.seqno));
  server.command('/a/', (cli, req) => cli.reply(req.seqno));
  server.publish('/speed', { param: 1 });
  server.publish('/door/left', { param: 1 });
  server.publish('/speed', { param: 2 });
  const first = await client.fetch(DESCRIBE_URL);
  expect(first.status).toBe(VsoaStatus.SUCCESS);
  expect(first.payload.param).toEqual({
    info: { name: 'car' },
    commands: ['/a/', '/b'],
    publishes: ['/door/left', '/speed'],
    publishesCut: false,
  });

  server.removeCommand('/b');
  server.info = { name: 'car', version: 2 };
  expect((await client.fetch(DESCRIBE_URL)).payload.param).toMatchObject({ info: { name: 'car', version: 2 }, commands: ['/a/'] });
});

it('describes itself under the default info, too', async () => {
  const { client } = await serve({ describe: true });
  expect((await client.fetch(DESCRIBE_URL)).payload.param).toEqual({
    info: { name: 'vsoa' },
    commands: [],
    publishes: [],
    publishesCut: false,
  });
});

it(`remembers at most ${MAX_DESCRIBED_PUBLISHES} published URLs and says when it left some out`, async () => {
  const { server, client } = await serve({ describe: true });
  expect(MAX_DESCRIBED_PUBLISHES).toBe(1000);
  for (let i = 0; i < 1000; i++) server.publish(`/n/${i}`);
  expect((await client.fetch(DESCRIBE_URL)).payload.param).toMatchObject({ publishesCut: false });
  server.publish('/n/0');
  expect((await client.fetch(DESCRIBE_URL)).payload.param).toMatchObject({ publishesCut: false });
  server.publish('/one/more');
  const { publishes, publishesCut } = (await client.fetch(DESCRIBE_URL)).payload.param as { publishes: string[]; publishesCut: boolean };
  expect(publishesCut).toBe(true);
  expect(publishes).toHaveLength(1000);
  expect(publishes).not.toContain('/one/more');
});
